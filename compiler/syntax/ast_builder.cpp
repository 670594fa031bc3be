#include "compiler/syntax/ast_builder.h"

#include <algorithm>

#include "PipeParser.h"

namespace pipec {

using P = pipec_grammar::PipeParser;
using namespace ast;

namespace {

class Builder {
 public:
  Builder(FileId file, const std::vector<size_t>& error_offsets,
          const std::vector<uint32_t>& byte_offsets, DiagnosticEngine& diags)
      : file_(file), error_offsets_(error_offsets), byte_offsets_(byte_offsets), diags_(diags) {}

  void build(P::ScriptContext* script, Script& out) {
    auto statements = script->statement();
    for (size_t k = 0; k < statements.size(); ++k) {
      auto* stmt = statements[k];
      if (!stmt) continue;
      // An error belongs to the statement it falls in, or to the last one
      // before it (an error at end of input breaks the final statement).
      size_t next = k + 1 < statements.size() && statements[k + 1]->start ? statements[k + 1]->start->getStartIndex()
                                                                         : static_cast<size_t>(-1);
      bool broken = contains_error(stmt, next);
      if (auto* imp = stmt->importStatement()) {
        if (!broken && imp->STRING()) out.imports.push_back({span(imp), unquote(imp->STRING())});
      } else if (auto* rel = stmt->createRelation()) {
        if (broken) {
          if (rel->name) out.broken_names.insert(rel->name->getText());
          continue;
        }
        out.relations.push_back(relation(rel));
      } else if (auto* pipe = stmt->createPipeline()) {
        if (broken) {
          if (pipe->name) out.broken_names.insert(pipe->name->getText());
          continue;
        }
        out.pipelines.push_back(pipeline(pipe));
      }
    }
  }

 private:
  // ---------------------------------------------------------------- helpers
  Span span(antlr4::ParserRuleContext* ctx) const {
    if (!ctx || !ctx->start) return {};
    size_t b = ctx->start->getStartIndex();
    size_t e = ctx->stop && ctx->stop->getStopIndex() != static_cast<size_t>(-1) &&
                       ctx->stop->getStopIndex() + 1 >= b
                   ? ctx->stop->getStopIndex() + 1
                   : b;
    return Span::at(file_, byte(b), byte(e));
  }
  Span span(antlr4::Token* t) const {
    if (!t) return {};
    return Span::at(file_, byte(t->getStartIndex()), byte(t->getStopIndex() + 1));
  }
  // ANTLR indexes code points; spans are byte offsets.
  uint32_t byte(size_t codepoint_index) const {
    if (byte_offsets_.empty()) return static_cast<uint32_t>(codepoint_index);
    return byte_offsets_[std::min(codepoint_index, byte_offsets_.size() - 1)];
  }
  Span span(antlr4::tree::TerminalNode* n) const { return n ? span(n->getSymbol()) : Span{}; }

  bool contains_error(antlr4::ParserRuleContext* ctx, size_t next_start) const {
    if (!ctx->start) return true;
    size_t b = ctx->start->getStartIndex();
    return std::any_of(error_offsets_.begin(), error_offsets_.end(),
                       [&](size_t off) { return off >= b && off < next_start; });
  }

  static std::string unquote(antlr4::tree::TerminalNode* node) {
    if (!node) return {};
    std::string t = node->getText();
    if (t.size() < 2) return {};
    std::string out;
    out.reserve(t.size() - 2);
    for (size_t i = 1; i + 1 < t.size(); ++i) {
      out.push_back(t[i]);
      if (t[i] == '\'' && t[i + 1] == '\'') ++i;  // '' is an escaped quote
    }
    return out;
  }

  Ident ident(P::IdentifierContext* ctx) const {
    if (!ctx) return {};
    std::string t = ctx->getText();
    if (ctx->QUOTED_IDENTIFIER() && t.size() >= 2) {
      std::string out;
      for (size_t i = 1; i + 1 < t.size(); ++i) {
        out.push_back(t[i]);
        if (t[i] == '`' && t[i + 1] == '`') ++i;
      }
      t = out;
    }
    return {t, span(ctx)};
  }

  ExprPtr make(ExprKind kind, Span s) {
    auto e = std::make_unique<Expr>();
    e->kind = kind;
    e->span = s;
    return e;
  }

  // Enforces the depth bound; an over-deep tree is reported once and replaced.
  ExprPtr finish(ExprPtr e) {
    int d = 0;
    for (auto& c : e->children) d = std::max(d, c ? c->depth : 0);
    if (e->case_operand) d = std::max(d, e->case_operand->depth);
    for (auto& [w, t] : e->whens) d = std::max({d, w ? w->depth : 0, t ? t->depth : 0});
    if (e->case_else) d = std::max(d, e->case_else->depth);
    e->depth = d + 1;
    if (e->depth > kMaxExpressionDepth && !depth_reported_) {
      depth_reported_ = true;
      diags_.report(DiagKind::NestingTooDeep, e->span, kMaxExpressionDepth);
    }
    if (e->depth > kMaxExpressionDepth) {
      auto err = make(ExprKind::Error, e->span);
      err->depth = 1;
      return err;
    }
    return e;
  }

  ExprPtr error_expr(antlr4::ParserRuleContext* ctx) { return make(ExprKind::Error, span(ctx)); }

  // ---------------------------------------------------------------- expressions
  ExprPtr expr(P::ExpressionContext* ctx) {
    if (!ctx || !ctx->orExpression()) return error_expr(ctx);
    return or_expr(ctx->orExpression());
  }

  template <typename Ctx, typename Child, typename F>
  ExprPtr fold_left(Ctx* ctx, const std::vector<Child*>& operands, Op op, F&& convert) {
    if (operands.empty()) return error_expr(ctx);
    ExprPtr acc = convert(operands[0]);
    for (size_t i = 1; i < operands.size(); ++i) {
      auto b = make(ExprKind::Binary, acc->span.to(span(operands[i])));
      b->op = op;
      b->children.push_back(std::move(acc));
      b->children.push_back(convert(operands[i]));
      acc = finish(std::move(b));
    }
    return acc;
  }

  ExprPtr or_expr(P::OrExpressionContext* ctx) {
    return fold_left(ctx, ctx->andExpression(), Op::Or,
                     [&](P::AndExpressionContext* c) { return and_expr(c); });
  }

  ExprPtr and_expr(P::AndExpressionContext* ctx) {
    return fold_left(ctx, ctx->notExpression(), Op::And,
                     [&](P::NotExpressionContext* c) { return not_expr(c); });
  }

  ExprPtr not_expr(P::NotExpressionContext* ctx) {
    if (!ctx) return make(ExprKind::Error, {});
    if (ctx->NOT()) {
      auto e = make(ExprKind::Unary, span(ctx));
      e->op = Op::Not;
      e->children.push_back(not_expr(ctx->notExpression()));
      return finish(std::move(e));
    }
    return predicate(ctx->predicate());
  }

  ExprPtr predicate(P::PredicateContext* ctx) {
    if (!ctx || !ctx->additive()) return error_expr(ctx);
    ExprPtr lhs = additive(ctx->additive());
    auto* suffix = ctx->predicateSuffix();
    if (!suffix) return lhs;
    Span s = span(ctx);
    if (auto* c = dynamic_cast<P::ComparisonSuffixContext*>(suffix)) {
      auto e = make(ExprKind::Binary, s);
      e->op = comparison(c->comparisonOperator());
      e->children.push_back(std::move(lhs));
      e->children.push_back(additive(c->rhs));
      return finish(std::move(e));
    }
    if (auto* c = dynamic_cast<P::IsNullSuffixContext*>(suffix)) {
      auto e = make(ExprKind::IsNull, s);
      e->negated = c->NOT() != nullptr;
      e->children.push_back(std::move(lhs));
      return finish(std::move(e));
    }
    if (auto* c = dynamic_cast<P::IsBooleanSuffixContext*>(suffix)) {
      auto e = make(ExprKind::IsBool, s);
      e->negated = c->NOT() != nullptr;
      e->bool_value = c->TRUE_() != nullptr;
      e->children.push_back(std::move(lhs));
      return finish(std::move(e));
    }
    if (auto* c = dynamic_cast<P::BetweenSuffixContext*>(suffix)) {
      auto e = make(ExprKind::Between, s);
      e->negated = c->NOT() != nullptr;
      e->children.push_back(std::move(lhs));
      e->children.push_back(additive(c->low));
      e->children.push_back(additive(c->high));
      return finish(std::move(e));
    }
    if (auto* c = dynamic_cast<P::InSuffixContext*>(suffix)) {
      auto e = make(ExprKind::In, s);
      e->negated = c->NOT() != nullptr;
      e->children.push_back(std::move(lhs));
      for (auto* x : c->expression()) e->children.push_back(expr(x));
      return finish(std::move(e));
    }
    if (auto* c = dynamic_cast<P::LikeSuffixContext*>(suffix)) {
      auto e = make(ExprKind::Like, s);
      e->negated = c->NOT() != nullptr;
      e->children.push_back(std::move(lhs));
      e->children.push_back(additive(c->pattern));
      return finish(std::move(e));
    }
    return error_expr(ctx);
  }

  static Op comparison(P::ComparisonOperatorContext* ctx) {
    std::string t = ctx ? ctx->getText() : "=";
    if (t == "<>" || t == "!=") return Op::Ne;
    if (t == "<") return Op::Lt;
    if (t == "<=") return Op::Le;
    if (t == ">") return Op::Gt;
    if (t == ">=") return Op::Ge;
    return Op::Eq;
  }

  ExprPtr additive(P::AdditiveContext* ctx) {
    if (!ctx) return make(ExprKind::Error, {});
    auto operands = ctx->multiplicative();
    if (operands.empty()) return error_expr(ctx);
    ExprPtr acc = multiplicative(operands[0]);
    for (size_t i = 1; i < operands.size(); ++i) {
      auto b = make(ExprKind::Binary, acc->span.to(span(operands[i])));
      std::string op = i - 1 < ctx->op.size() ? ctx->op[i - 1]->getText() : "+";
      b->op = op == "-" ? Op::Sub : op == "||" ? Op::Concat : Op::Add;
      b->children.push_back(std::move(acc));
      b->children.push_back(multiplicative(operands[i]));
      acc = finish(std::move(b));
    }
    return acc;
  }

  ExprPtr multiplicative(P::MultiplicativeContext* ctx) {
    if (!ctx) return make(ExprKind::Error, {});
    auto operands = ctx->unary();
    if (operands.empty()) return error_expr(ctx);
    ExprPtr acc = unary(operands[0]);
    for (size_t i = 1; i < operands.size(); ++i) {
      auto b = make(ExprKind::Binary, acc->span.to(span(operands[i])));
      std::string op = i - 1 < ctx->op.size() ? ctx->op[i - 1]->getText() : "*";
      b->op = op == "/" ? Op::Div : op == "%" ? Op::Mod : Op::Mul;
      b->children.push_back(std::move(acc));
      b->children.push_back(unary(operands[i]));
      acc = finish(std::move(b));
    }
    return acc;
  }

  ExprPtr unary(P::UnaryContext* ctx) {
    if (!ctx) return make(ExprKind::Error, {});
    if (auto* inner = ctx->unary()) {
      bool neg = ctx->getStart()->getText() == "-";
      // Fold `-<number>` into the literal so BIGINT's minimum value is writable.
      ExprPtr operand = unary(inner);
      if (neg && operand->kind == ExprKind::Literal &&
          (operand->literal_kind == LiteralKind::Integer ||
           operand->literal_kind == LiteralKind::Decimal) &&
          !operand->literal_text.empty() && operand->literal_text[0] != '-') {
        operand->literal_text = "-" + operand->literal_text;
        operand->span = span(ctx);
        return operand;
      }
      auto e = make(ExprKind::Unary, span(ctx));
      e->op = neg ? Op::Neg : Op::Plus;
      e->children.push_back(std::move(operand));
      return finish(std::move(e));
    }
    return postfix(ctx->postfix());
  }

  ExprPtr postfix(P::PostfixContext* ctx) {
    if (!ctx || !ctx->primary()) return error_expr(ctx);
    ExprPtr acc = primary(ctx->primary());
    for (auto* op : ctx->postfixOperator()) {
      if (auto* f = dynamic_cast<P::FieldAccessContext*>(op)) {
        auto e = make(ExprKind::FieldAccess, acc->span.to(span(op)));
        Ident id = ident(f->identifier());
        e->name = id.text;
        e->name_span = id.span;
        e->children.push_back(std::move(acc));
        acc = finish(std::move(e));
      } else if (auto* s = dynamic_cast<P::SubscriptContext*>(op)) {
        auto e = make(ExprKind::Subscript, acc->span.to(span(op)));
        e->children.push_back(std::move(acc));
        e->children.push_back(expr(s->expression()));
        acc = finish(std::move(e));
      }
    }
    return acc;
  }

  ExprPtr primary(P::PrimaryContext* ctx) {
    Span s = span(ctx);
    if (auto* c = dynamic_cast<P::LiteralPrimaryContext*>(ctx)) return literal(c->literal());
    if (auto* c = dynamic_cast<P::IntervalPrimaryContext*>(ctx)) {
      auto e = make(ExprKind::Literal, s);
      e->literal_kind = LiteralKind::Interval;
      e->literal_text = unquote(c->STRING());
      if (c->intervalUnit()) {
        e->interval_unit = c->intervalUnit()->getText();
        e->unit_span = span(c->intervalUnit());
      }
      return e;
    }
    if (auto* c = dynamic_cast<P::TimestampPrimaryContext*>(ctx)) {
      auto e = make(ExprKind::Literal, s);
      e->literal_kind = LiteralKind::Timestamp;
      e->literal_text = unquote(c->STRING());
      return e;
    }
    if (auto* c = dynamic_cast<P::CastPrimaryContext*>(ctx)) {
      auto e = make(ExprKind::Cast, s);
      e->children.push_back(expr(c->expression()));
      e->cast_type = type(c->dataType());
      return finish(std::move(e));
    }
    if (auto* c = dynamic_cast<P::CasePrimaryContext*>(ctx)) {
      auto e = make(ExprKind::Case, s);
      if (c->operand) e->case_operand = expr(c->operand);
      for (auto* w : c->caseWhen()) {
        if (!w) continue;
        e->whens.emplace_back(expr(w->condition), expr(w->result));
      }
      if (c->otherwise) e->case_else = expr(c->otherwise);
      return finish(std::move(e));
    }
    if (auto* c = dynamic_cast<P::CallPrimaryContext*>(ctx)) {
      auto e = make(ExprKind::Call, s);
      if (c->functionName()) {
        e->name = c->functionName()->getText();
        e->name_span = span(c->functionName());
      }
      e->distinct = c->DISTINCT() != nullptr;
      for (auto* child : c->children) {
        auto* t = dynamic_cast<antlr4::tree::TerminalNode*>(child);
        if (t && t->getText() == "*") e->star = true;
      }
      for (auto* a : c->expression()) e->children.push_back(expr(a));
      return finish(std::move(e));
    }
    if (auto* c = dynamic_cast<P::ColumnPrimaryContext*>(ctx)) {
      auto e = make(ExprKind::Column, s);
      Ident id = ident(c->identifier());
      e->name = id.text;
      e->name_span = id.span;
      return e;
    }
    if (auto* c = dynamic_cast<P::ParenPrimaryContext*>(ctx)) {
      ExprPtr inner = expr(c->expression());
      inner->span = s;  // carets cover the parentheses
      return inner;
    }
    return error_expr(ctx);
  }

  ExprPtr literal(P::LiteralContext* ctx) {
    auto e = make(ExprKind::Literal, span(ctx));
    if (!ctx) return e;
    if (ctx->INTEGER()) {
      e->literal_kind = LiteralKind::Integer;
      e->literal_text = ctx->getText();
    } else if (ctx->DECIMAL()) {
      e->literal_kind = LiteralKind::Decimal;
      e->literal_text = ctx->getText();
    } else if (ctx->STRING()) {
      e->literal_kind = LiteralKind::String;
      e->literal_text = unquote(ctx->STRING());
    } else if (ctx->TRUE_() || ctx->FALSE_()) {
      e->literal_kind = LiteralKind::Boolean;
      e->literal_text = ctx->TRUE_() ? "true" : "false";
    } else {
      e->literal_kind = LiteralKind::Null;
    }
    return e;
  }

  // ---------------------------------------------------------------- types
  std::shared_ptr<TypeSyntax> type(P::DataTypeContext* ctx) {
    auto t = std::make_shared<TypeSyntax>();
    t->span = span(ctx);
    if (auto* r = dynamic_cast<P::RowTypeContext*>(ctx)) {
      t->kind = TypeSyntax::Kind::Row;
      for (auto* f : r->rowField()) {
        if (!f) continue;
        t->fields.push_back({ident(f->identifier()), type(f->dataType()), f->NOT() != nullptr});
      }
    } else if (auto* a = dynamic_cast<P::ArrayTypeContext*>(ctx)) {
      t->kind = TypeSyntax::Kind::Array;
      t->element = type(a->dataType());
    } else if (auto* p = dynamic_cast<P::PrimitiveTypeContext*>(ctx)) {
      t->name = p->identifier() ? p->identifier()->getText() : "";
      for (auto* n : p->INTEGER()) {
        try {
          t->params.push_back(std::stoll(n->getText()));
        } catch (...) {
          t->params.push_back(-1);
        }
      }
    }
    return t;
  }

  // ---------------------------------------------------------------- DDL
  ConstraintDef constraint(P::ConstraintDefinitionContext* ctx) {
    ConstraintDef c;
    c.span = span(ctx);
    c.name = ident(ctx->name);
    c.expr = expr(ctx->expression());
    set_action(c, ctx->violationAction());
    return c;
  }

  void set_action(ConstraintDef& c, P::ViolationActionContext* ctx) {
    if (!ctx) return;
    c.action_given = true;
    c.action_span = span(ctx);
    if (ctx->WARN()) c.action = ViolationAction::Warn;
    else if (ctx->DROP()) c.action = ViolationAction::DropRow;
    else if (ctx->DEAD()) c.action = ViolationAction::DeadLetter;
    else c.action = ViolationAction::FailPipeline;
  }

  DedupDef dedup(P::DeduplicateClauseContext* ctx) {
    DedupDef d;
    d.span = span(ctx);
    for (auto* e : ctx->expression()) {
      if (e == ctx->interval) continue;
      d.keys.push_back(expr(e));
    }
    if (ctx->interval) d.within = expr(ctx->interval);
    return d;
  }

  std::vector<OptionDef> options(P::WithClauseContext* ctx) {
    std::vector<OptionDef> out;
    if (!ctx) return out;
    for (auto* o : ctx->option()) {
      if (!o || !o->optionKey() || !o->optionValue()) continue;
      OptionDef def;
      def.span = span(o);
      def.key_span = span(o->optionKey());
      def.key = o->optionKey()->STRING() ? unquote(o->optionKey()->STRING()) : o->optionKey()->getText();
      auto* v = o->optionValue();
      def.value.span = span(v);
      if (v->SECRET()) {
        def.value.kind = OptionValue::Kind::Secret;
        def.value.text = unquote(v->STRING());
      } else if (v->STRING()) {
        def.value.kind = OptionValue::Kind::String;
        def.value.text = unquote(v->STRING());
      } else if (v->TRUE_() || v->FALSE_()) {
        def.value.kind = OptionValue::Kind::Boolean;
        def.value.text = v->TRUE_() ? "true" : "false";
      } else {
        def.value.kind = OptionValue::Kind::Number;
        def.value.text = v->getText();
      }
      out.push_back(std::move(def));
    }
    return out;
  }

  RelationDecl relation(P::CreateRelationContext* ctx) {
    RelationDecl r;
    r.span = span(ctx);
    r.name = ident(ctx->name);
    std::string kind = ctx->kind ? ctx->kind->getText() : "SOURCE";
    std::transform(kind.begin(), kind.end(), kind.begin(), ::toupper);
    r.kind = kind == "TABLE" ? RelationKind::Table : kind == "SINK" ? RelationKind::Sink : RelationKind::Source;
    r.has_column_list = !ctx->tableElement().empty();
    for (auto* el : ctx->tableElement()) {
      if (!el) continue;
      if (auto* c = el->columnDefinition()) r.columns.push_back(column(c));
      else if (auto* w = el->watermarkDefinition()) r.watermarks.push_back({span(w), ident(w->column), expr(w->expression())});
      else if (auto* c2 = el->constraintDefinition()) r.constraints.push_back(constraint(c2));
      else if (auto* d = el->deduplicateClause()) r.dedups.push_back(dedup(d));
      else if (auto* pk = el->primaryKeyDefinition())
        for (auto* id : pk->identifier()) r.primary_key.push_back(ident(id));
    }
    r.options = options(ctx->withClause());
    if (ctx->formatClause()) r.format = ident(ctx->formatClause()->identifier());
    return r;
  }

  ColumnDef column(P::ColumnDefinitionContext* ctx) {
    ColumnDef c;
    c.span = span(ctx);
    c.name = ident(ctx->name);
    c.type = type(ctx->dataType());
    for (auto* opt : ctx->columnOption()) {
      if (dynamic_cast<P::NotNullOptionContext*>(opt)) {
        c.not_null = true;
        c.not_null_span = span(opt);
      } else if (auto* chk = dynamic_cast<P::CheckOptionContext*>(opt)) {
        ConstraintDef def;
        def.span = span(chk);
        def.expr = expr(chk->expression());
        set_action(def, chk->violationAction());
        c.checks.push_back(std::move(def));
      } else if (auto* md = dynamic_cast<P::MetadataOptionContext*>(opt)) {
        c.is_metadata = true;
        c.metadata_span = span(md);
        if (md->STRING()) c.metadata_key = unquote(md->STRING());
      } else if (dynamic_cast<P::PrimaryKeyOptionContext*>(opt)) {
        c.primary_key = true;
      }
    }
    return c;
  }

  // ---------------------------------------------------------------- pipelines
  FromItem from_item(P::FromItemContext* ctx) {
    FromItem f;
    if (!ctx) return f;
    f.span = span(ctx);
    f.name = ident(ctx->name);
    f.alias = ident(ctx->alias);
    return f;
  }

  PipelineDecl pipeline(P::CreatePipelineContext* ctx) {
    PipelineDecl p;
    p.span = span(ctx);
    p.name = ident(ctx->name);
    p.options = options(ctx->withClause());
    p.sink = ident(ctx->sink);
    if (auto* q = ctx->query()) {
      p.query.span = span(q);
      for (auto* item : q->selectItem()) {
        SelectItem si;
        si.span = span(item);
        if (dynamic_cast<P::SelectStarContext*>(item)) {
          si.kind = SelectItem::Kind::Star;
        } else if (auto* qs = dynamic_cast<P::SelectQualifiedStarContext*>(item)) {
          si.kind = SelectItem::Kind::QualifiedStar;
          si.qualifier = ident(qs->identifier());
        } else if (auto* se = dynamic_cast<P::SelectExpressionContext*>(item)) {
          si.expr = expr(se->expression());
          si.alias = ident(se->alias);
        } else {
          continue;
        }
        p.query.select.push_back(std::move(si));
      }
      p.query.from = from_item(q->fromItem());
      for (auto* j : q->joinClause()) {
        if (!j) continue;
        p.query.joins.push_back({span(j), j->LEFT() != nullptr, from_item(j->fromItem()), expr(j->expression())});
      }
      if (q->where) p.query.where = expr(q->where);
      if (q->GROUP()) {
        for (auto* e : q->expression()) {
          if (e == q->where || e == q->having) continue;
          p.query.group_by.push_back(expr(e));
        }
        p.query.group_by_span = span(q->GROUP()).to(span(q->BY()));
      }
      if (q->having) p.query.having = expr(q->having);
    }
    for (auto* clause : ctx->pipelineClause()) {
      if (auto* c = clause->constraintDefinition()) p.constraints.push_back(constraint(c));
      else if (auto* d = clause->deduplicateClause()) p.dedups.push_back(dedup(d));
    }
    return p;
  }

  FileId file_;
  const std::vector<size_t>& error_offsets_;
  const std::vector<uint32_t>& byte_offsets_;
  DiagnosticEngine& diags_;
  bool depth_reported_ = false;
};

}  // namespace

void build_ast(antlr4::ParserRuleContext* script_tree, FileId file,
               const std::vector<size_t>& error_offsets,
               const std::vector<uint32_t>& byte_offsets, DiagnosticEngine& diags,
               ast::Script& script) {
  auto* s = dynamic_cast<P::ScriptContext*>(script_tree);
  if (!s) return;
  Builder(file, error_offsets, byte_offsets, diags).build(s, script);
}

const char* ast::op_spelling(Op op) {
  switch (op) {
    case Op::Neg: return "-";
    case Op::Plus: return "+";
    case Op::Not: return "NOT";
    case Op::Add: return "+";
    case Op::Sub: return "-";
    case Op::Mul: return "*";
    case Op::Div: return "/";
    case Op::Mod: return "%";
    case Op::Concat: return "||";
    case Op::Eq: return "=";
    case Op::Ne: return "<>";
    case Op::Lt: return "<";
    case Op::Le: return "<=";
    case Op::Gt: return ">";
    case Op::Ge: return ">=";
    case Op::And: return "AND";
    case Op::Or: return "OR";
  }
  return "?";
}

const char* ast::action_spelling(ViolationAction a) {
  switch (a) {
    case ViolationAction::Warn: return "WARN";
    case ViolationAction::DropRow: return "DROP ROW";
    case ViolationAction::DeadLetter: return "DEAD LETTER";
    case ViolationAction::FailPipeline: return "FAIL PIPELINE";
  }
  return "WARN";
}

const char* ast::relation_kind_name(RelationKind k) {
  switch (k) {
    case RelationKind::Source: return "source";
    case RelationKind::Table: return "table";
    case RelationKind::Sink: return "sink";
  }
  return "source";
}

}  // namespace pipec
