#include "compiler/codegen/runtime_helpers.h"

#include <algorithm>
#include <cstring>

#include "compiler/plan/expression_evaluator.h"
#include "stdlib/catalogue.h"

namespace pipec {

namespace {

Value slot_to_value(TypeId type, const void* slot) {
  switch (type) {
    case TypeId::Boolean: return Value::boolean(*static_cast<const uint8_t*>(slot) != 0);
    case TypeId::BigInt: return Value::bigint(*static_cast<const int64_t*>(slot));
    case TypeId::Timestamp: return Value::timestamp(*static_cast<const int64_t*>(slot));
    case TypeId::Interval: return Value::interval(*static_cast<const int64_t*>(slot));
    case TypeId::Double: return Value::float64(*static_cast<const double*>(slot));
    default: {
      auto* s = static_cast<const StringRef*>(slot);
      return Value::string(std::string(s->view()), type);
    }
  }
}

void value_to_slot(const Value& v, FunctionContext* ctx, void* slot) {
  switch (v.type) {
    case TypeId::Boolean: *static_cast<uint8_t*>(slot) = v.b; break;
    case TypeId::BigInt:
    case TypeId::Timestamp:
    case TypeId::Interval: *static_cast<int64_t*>(slot) = v.i; break;
    case TypeId::Double: *static_cast<double*>(slot) = v.d; break;
    default: *static_cast<StringRef*>(slot) = ctx->copy(v.s); break;
  }
}

}  // namespace

extern "C" {

int32_t pipec_rt_string_compare(const StringRef* a, const StringRef* b) {
  uint32_t n = std::min(a->size, b->size);
  int c = n ? std::memcmp(a->data, b->data, n) : 0;
  if (c == 0) c = (a->size > b->size) - (a->size < b->size);
  return (c > 0) - (c < 0);
}

void pipec_rt_concat(FunctionContext* ctx, const StringRef* a, const StringRef* b, StringRef* out) {
  size_t total = static_cast<size_t>(a->size) + b->size;
  char* p = ctx->arena->allocate(total);
  if (a->size) std::memcpy(p, a->data, a->size);
  if (b->size) std::memcpy(p + a->size, b->data, b->size);
  *out = StringRef{p, static_cast<uint32_t>(total)};
}

// Casts with exactly the reference semantics (cast_value); returns validity.
uint8_t pipec_rt_cast(FunctionContext* ctx, uint32_t from, uint32_t to, const void* in, void* out) {
  Type target;
  target.id = static_cast<TypeId>(to);
  Value r = cast_value(slot_to_value(static_cast<TypeId>(from), in), target);
  if (r.is_null) return 0;
  value_to_slot(r, ctx, out);
  return 1;
}

void pipec_rt_secret(FunctionContext* ctx, const char* name, uint32_t len, StringRef* out) {
  std::string value = ctx->secret_lookup ? ctx->secret_lookup(std::string_view(name, len)) : std::string();
  *out = ctx->copy(value);
}

}  // extern "C"

std::vector<std::pair<std::string, void*>> kernel_host_symbols() {
  std::vector<std::pair<std::string, void*>> out = {
      {"pipec_rt_string_compare", reinterpret_cast<void*>(&pipec_rt_string_compare)},
      {"pipec_rt_concat", reinterpret_cast<void*>(&pipec_rt_concat)},
      {"pipec_rt_cast", reinterpret_cast<void*>(&pipec_rt_cast)},
      {"pipec_rt_secret", reinterpret_cast<void*>(&pipec_rt_secret)},
  };
  for (const auto& f : FunctionCatalogue::instance().functions())
    for (const auto& o : f.overloads) out.push_back({o.symbol, reinterpret_cast<void*>(o.thunk)});
  return out;
}

}  // namespace pipec
