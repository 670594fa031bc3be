// The syntax tree of a .pipe script: what the user wrote, with a span on every
// node, before any name is resolved. The binder (compiler/bind) turns it into
// typed, resolved definitions.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "compiler/diagnostics/source_manager.h"

namespace pipec::ast {

struct Ident {
  std::string text;
  Span span;
  bool empty() const { return text.empty(); }
};

// ---------------------------------------------------------------- expressions
enum class ExprKind {
  Literal,      // literal
  Column,       // name (possibly a qualifier; `o.amount` is FieldAccess(Column o))
  FieldAccess,  // children[0] . name
  Subscript,    // children[0] [ children[1] ]
  Unary,        // op children[0]
  Binary,       // children[0] op children[1]
  IsNull,       // children[0] IS [NOT] NULL
  IsBool,       // children[0] IS [NOT] TRUE|FALSE  (bool_value)
  Between,      // children[0] [NOT] BETWEEN children[1] AND children[2]
  In,           // children[0] [NOT] IN (children[1..])
  Like,         // children[0] [NOT] LIKE children[1]
  Case,         // operand? WHEN/THEN pairs, ELSE?  (see case_* fields)
  Cast,         // CAST(children[0] AS cast_type)
  Call,         // name(children...) or name(*)
  Error,        // stands in for a subtree that failed to parse
};

enum class LiteralKind { Null, Boolean, Integer, Decimal, String, Interval, Timestamp };

enum class Op {
  Neg, Plus, Not,                          // unary
  Add, Sub, Mul, Div, Mod, Concat,         // arithmetic
  Eq, Ne, Lt, Le, Gt, Ge,                  // comparison
  And, Or,                                 // logic
};
const char* op_spelling(Op op);

struct TypeSyntax;

struct Expr {
  ExprKind kind = ExprKind::Error;
  Span span;

  std::string name;         // Column/Call/FieldAccess name
  Span name_span;
  Op op = Op::Add;
  bool negated = false;     // NOT BETWEEN / NOT IN / NOT LIKE / IS NOT
  bool bool_value = false;  // IS [NOT] TRUE|FALSE
  bool distinct = false;    // COUNT(DISTINCT x)
  bool star = false;        // COUNT(*)

  LiteralKind literal_kind = LiteralKind::Null;
  std::string literal_text;  // unescaped string / number text / interval amount
  std::string interval_unit; // SECOND, MINUTE, ...
  Span unit_span;

  std::vector<std::unique_ptr<Expr>> children;
  // Case: optional operand, then `whens` (condition, result) pairs, optional else.
  std::unique_ptr<Expr> case_operand;
  std::vector<std::pair<std::unique_ptr<Expr>, std::unique_ptr<Expr>>> whens;
  std::unique_ptr<Expr> case_else;
  std::shared_ptr<TypeSyntax> cast_type;

  int depth = 1;  // height of this subtree; bounded so later phases can recurse
};
using ExprPtr = std::unique_ptr<Expr>;

// ---------------------------------------------------------------- DDL
struct TypeSyntax {
  enum class Kind { Primitive, Row, Array } kind = Kind::Primitive;
  Span span;
  std::string name;               // Primitive
  std::vector<int64_t> params;    // e.g. TIMESTAMP(3)
  struct RowField {
    Ident name;
    std::shared_ptr<TypeSyntax> type;
    bool not_null = false;
  };
  std::vector<RowField> fields;   // Row
  std::shared_ptr<TypeSyntax> element;  // Array
};

enum class ViolationAction { Warn, DropRow, DeadLetter, FailPipeline };
const char* action_spelling(ViolationAction a);

struct ConstraintDef {
  Span span;
  Ident name;           // empty for a column CHECK: the binder names it
  ExprPtr expr;
  ViolationAction action = ViolationAction::Warn;
  bool action_given = false;
  Span action_span;
};

struct ColumnDef {
  Span span;
  Ident name;
  std::shared_ptr<TypeSyntax> type;
  bool not_null = false;
  Span not_null_span;
  bool primary_key = false;
  bool is_metadata = false;
  std::optional<std::string> metadata_key;  // METADATA FROM 'key'
  Span metadata_span;
  std::vector<ConstraintDef> checks;
};

struct WatermarkDef {
  Span span;
  Ident column;
  ExprPtr expr;
};

struct DedupDef {
  Span span;
  std::vector<ExprPtr> keys;
  ExprPtr within;  // may be null: the binder reports the missing bound via a lint
};

struct OptionValue {
  enum class Kind { String, Number, Boolean, Secret } kind = Kind::String;
  std::string text;  // string contents, number text, "true"/"false", or secret name
  Span span;
};

struct OptionDef {
  Span span;
  std::string key;
  Span key_span;
  OptionValue value;
};

enum class RelationKind { Source, Table, Sink };
const char* relation_kind_name(RelationKind k);

struct RelationDecl {
  RelationKind kind = RelationKind::Source;
  Span span;
  Ident name;
  bool has_column_list = false;
  std::vector<ColumnDef> columns;
  std::vector<WatermarkDef> watermarks;
  std::vector<ConstraintDef> constraints;
  std::vector<DedupDef> dedups;
  std::vector<Ident> primary_key;
  std::vector<OptionDef> options;
  Ident format;
};

// ---------------------------------------------------------------- pipelines
struct SelectItem {
  enum class Kind { Star, QualifiedStar, Expression } kind = Kind::Expression;
  Span span;
  ExprPtr expr;
  Ident qualifier;  // QualifiedStar
  Ident alias;
};

struct FromItem {
  Span span;
  Ident name;
  Ident alias;
};

struct Join {
  Span span;
  bool left = false;
  FromItem table;
  ExprPtr on;
};

struct Query {
  Span span;
  std::vector<SelectItem> select;
  FromItem from;
  std::vector<Join> joins;
  ExprPtr where;
  std::vector<ExprPtr> group_by;
  Span group_by_span;
  ExprPtr having;
};

struct PipelineDecl {
  Span span;
  Ident name;
  std::vector<OptionDef> options;
  Ident sink;
  Query query;
  std::vector<ConstraintDef> constraints;
  std::vector<DedupDef> dedups;
};

struct ImportDecl {
  Span span;
  std::string path;
};

struct Script {
  std::vector<RelationDecl> relations;
  std::vector<PipelineDecl> pipelines;
  std::vector<ImportDecl> imports;
  // Names of definitions whose statement failed to parse: later phases stay
  // quiet about references to them instead of piling up follow-on errors.
  std::set<std::string> broken_names;
  bool has_syntax_errors = false;
};

}  // namespace pipec::ast
