// The type vocabulary shared by the compiler and the runtime.
//
// Logical types are what users write; every logical type has exactly one
// physical representation in a column vector (see PhysicalType). Integers of
// every width are BIGINT and floating types are DOUBLE: one representation
// each keeps kernels, codegen and the reference evaluator small. ROW and ARRAY
// exist logically (nested access is resolved by the binder into decode paths);
// when a whole ROW or ARRAY value flows through, it is carried as JSON text.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pipec {

enum class TypeId : uint8_t {
  Null,       // the type of the literal NULL; coerces to anything
  Boolean,
  BigInt,     // 64-bit signed; INT, INTEGER, SMALLINT, TINYINT are aliases
  Double,     // IEEE double; FLOAT and REAL are aliases
  String,     // UTF-8; VARCHAR, CHAR are aliases
  Timestamp,  // milliseconds since the Unix epoch, UTC
  Interval,   // a day-time interval in milliseconds
  Row,        // named fields
  Array,      // homogeneous elements
};

// How a value of a type is laid out in a column vector.
enum class PhysicalType : uint8_t {
  Bool,    // uint8_t 0/1
  Int64,   // int64_t (BIGINT, TIMESTAMP, INTERVAL)
  Float64, // double
  String,  // StringRef into an arena (STRING, and ROW/ARRAY as JSON text)
};

struct Type;
using TypePtr = std::shared_ptr<const Type>;

struct Field {
  std::string name;
  TypePtr type;
  bool not_null = false;
};

struct Type {
  TypeId id = TypeId::Null;
  std::vector<Field> fields;  // Row only
  TypePtr element;            // Array only

  static TypePtr null();
  static TypePtr boolean();
  static TypePtr bigint();
  static TypePtr float64();
  static TypePtr string();
  static TypePtr timestamp();
  static TypePtr interval();
  static TypePtr row(std::vector<Field> fields);
  static TypePtr array(TypePtr element);

  bool is_numeric() const { return id == TypeId::BigInt || id == TypeId::Double; }
  bool is_nested() const { return id == TypeId::Row || id == TypeId::Array; }
  PhysicalType physical() const;

  // SQL spelling: BIGINT, ROW<a BIGINT, b STRING>, ARRAY<DOUBLE>.
  std::string to_string() const;
  // Field lookup by exact name, then case-insensitively.
  const Field* find_field(std::string_view name) const;
};

bool type_equals(const Type& a, const Type& b);
std::string_view type_id_name(TypeId id);

// Resolves a primitive type name as written in DDL (case-insensitive).
// Returns nullptr for unknown names.
TypePtr primitive_type_from_name(std::string_view name);

}  // namespace pipec
