#include "runtime/interpret/value_io.h"

#include <cmath>
#include <cstring>
#include <limits>

namespace pipec {

Value read_value(const Vector& column, const Type& type, uint32_t row) {
  if (!column.is_valid(row)) return Value::null(type.id);
  switch (column.type()) {
    case PhysicalType::Bool: return Value::boolean(column.data<uint8_t>()[row] != 0);
    case PhysicalType::Int64: {
      Value v = Value::bigint(column.data<int64_t>()[row]);
      if (type.id == TypeId::Timestamp || type.id == TypeId::Interval) v.type = type.id;
      return v;
    }
    case PhysicalType::Float64: return Value::float64(column.data<double>()[row]);
    case PhysicalType::String: {
      StringRef s = column.data<StringRef>()[row];
      return Value::string(std::string(s.view()), type.id == TypeId::Null ? TypeId::String : type.id);
    }
  }
  return Value::null(type.id);
}

void write_value(Vector& column, uint32_t row, const Value& v, StringArena& arena) {
  if (v.is_null) {
    column.set_null(row);
    return;
  }
  column.set_valid(row, true);
  switch (column.type()) {
    case PhysicalType::Bool: column.data<uint8_t>()[row] = v.b ? 1 : 0; break;
    case PhysicalType::Int64:
      // A DOUBLE value reaching an integer column would be a binder bug; keep
      // the slot well-defined anyway.
      column.data<int64_t>()[row] = v.type == TypeId::Double ? static_cast<int64_t>(v.d) : v.i;
      break;
    case PhysicalType::Float64:
      column.data<double>()[row] = v.type == TypeId::Double ? v.d : static_cast<double>(v.i);
      break;
    case PhysicalType::String: column.data<StringRef>()[row] = arena.copy(v.s); break;
  }
}

void append_key(std::string& key, const Value& v) {
  auto fixed = [&](char tag, uint64_t bits) {
    key.push_back(tag);
    key.append(reinterpret_cast<const char*>(&bits), sizeof bits);
  };
  if (v.is_null) {
    key.push_back('\0');
    return;
  }
  switch (v.type) {
    case TypeId::Boolean: fixed('b', v.b ? 1 : 0); return;
    case TypeId::Double: {
      double d = v.d == 0 ? 0.0 : v.d;
      uint64_t bits;
      if (std::isnan(d)) d = std::numeric_limits<double>::quiet_NaN();
      std::memcpy(&bits, &d, sizeof bits);
      fixed('d', bits);
      return;
    }
    case TypeId::BigInt:
    case TypeId::Timestamp:
    case TypeId::Interval: fixed('i', static_cast<uint64_t>(v.i)); return;
    default:
      fixed('s', v.s.size());
      key.append(v.s);
      return;
  }
}

void copy_slot(const Vector& from, uint32_t from_row, Vector& to, uint32_t to_row) {
  if (!from.is_valid(from_row)) {
    to.set_null(to_row);
    return;
  }
  to.set_valid(to_row, true);
  switch (from.type()) {
    case PhysicalType::Bool: to.data<uint8_t>()[to_row] = from.data<uint8_t>()[from_row]; break;
    case PhysicalType::Int64: to.data<int64_t>()[to_row] = from.data<int64_t>()[from_row]; break;
    case PhysicalType::Float64: to.data<double>()[to_row] = from.data<double>()[from_row]; break;
    case PhysicalType::String: to.data<StringRef>()[to_row] = from.data<StringRef>()[from_row]; break;
  }
}

}  // namespace pipec
