#include "stdlib/catalogue.h"

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace pipec {

FunctionContext::FunctionContext() = default;
FunctionContext::~FunctionContext() = default;

namespace {
PhysicalType physical_of(TypeId id) {
  Type t;
  t.id = id;
  return t.physical();
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}
}  // namespace

const FunctionCatalogue& FunctionCatalogue::instance() {
  static const FunctionCatalogue catalogue = [] {
    FunctionCatalogue c;
    register_string_functions(c);
    register_math_functions(c);
    register_null_functions(c);
    register_time_functions(c);
    register_hash_functions(c);
    register_privacy_functions(c);
    register_json_functions(c);
    return c;
  }();
  return catalogue;
}

const ScalarFunction* FunctionCatalogue::find(std::string_view name) const {
  std::string key = lower(name);
  for (const auto& f : functions_)
    if (f.name == key) return &f;
  return nullptr;
}

std::vector<std::string> FunctionCatalogue::names() const {
  std::vector<std::string> out;
  for (const auto& f : functions_) out.push_back(f.name);
  return out;
}

void FunctionCatalogue::add_overload(const std::string& name, const std::string& family,
                                     const std::string& description, NullHandling nulls,
                                     bool deterministic, FunctionOverload overload) {
  std::string key = lower(name);
  auto it = std::find_if(functions_.begin(), functions_.end(),
                         [&](const ScalarFunction& f) { return f.name == key; });
  if (it == functions_.end()) {
    functions_.push_back(ScalarFunction{key, family, description, nulls, deterministic, {}});
    it = functions_.end() - 1;
  }
  overload.symbol = "pipec_fn_" + key + "_" + std::to_string(it->overloads.size());
  it->overloads.push_back(std::move(overload));
}

std::string signature_text(const ScalarFunction& fn, const FunctionOverload& o) {
  std::string out = fn.name + "(";
  for (size_t i = 0; i < o.args.size(); ++i) {
    if (i) out += ", ";
    out += type_id_name(o.args[i]);
  }
  if (o.variadic) out += ", ...";
  return out + ") -> " + std::string(type_id_name(o.result));
}

Value call_function(const ScalarFunction& fn, const FunctionOverload& overload,
                    const std::vector<Value>& args, FunctionContext& ctx) {
  // Physical argument slots; strings point into the Values themselves.
  struct Slot {
    int64_t i;
    double d;
    uint8_t b;
    StringRef s;
  };
  // A wrong argument count is a caller bug; answer NULL rather than read past
  // the declared argument types.
  if (overload.variadic ? args.size() + 1 < overload.args.size() || overload.args.empty()
                        : args.size() != overload.args.size())
    return Value::null(overload.result);
  std::vector<Slot> slots(args.size());
  std::vector<void*> ptrs(args.size());
  std::vector<uint8_t> valid(args.size());
  for (size_t k = 0; k < args.size(); ++k) {
    const Value& v = args[k];
    valid[k] = !v.is_null;
    TypeId declared = k < overload.args.size() ? overload.args[k] : overload.args.back();
    switch (physical_of(declared)) {
      case PhysicalType::Bool: slots[k].b = v.b; ptrs[k] = &slots[k].b; break;
      case PhysicalType::Int64: slots[k].i = v.i; ptrs[k] = &slots[k].i; break;
      case PhysicalType::Float64: slots[k].d = v.d; ptrs[k] = &slots[k].d; break;
      case PhysicalType::String: slots[k].s = StringRef::of(v.s); ptrs[k] = &slots[k].s; break;
    }
  }
  Slot out{};
  void* out_ptr = nullptr;
  PhysicalType rp = physical_of(overload.result);
  switch (rp) {
    case PhysicalType::Bool: out_ptr = &out.b; break;
    case PhysicalType::Int64: out_ptr = &out.i; break;
    case PhysicalType::Float64: out_ptr = &out.d; break;
    case PhysicalType::String: out.s = kEmptyStringRef; out_ptr = &out.s; break;
  }
  uint8_t ok = overload.thunk(&ctx, out_ptr, ptrs.data(), valid.data(), static_cast<uint32_t>(args.size()));
  if (!ok) return Value::null(overload.result);
  switch (overload.result) {
    case TypeId::Boolean: return Value::boolean(out.b != 0);
    case TypeId::BigInt: return Value::bigint(out.i);
    case TypeId::Double: return Value::float64(out.d);
    case TypeId::Timestamp: return Value::timestamp(out.i);
    case TypeId::Interval: return Value::interval(out.i);
    default: return Value::string(std::string(out.s.view()), overload.result);
  }
}

}  // namespace pipec
