// NULL handling: coalesce, ifnull and nullif, for every scalar type.
#include "stdlib/catalogue.h"

namespace pipec {

namespace {

template <TypeId T>
uint8_t coalesce_thunk(FunctionContext*, void* out, void* const* args, const uint8_t* valid, uint32_t n) {
  for (uint32_t i = 0; i < n; ++i) {
    if (valid[i]) {
      *static_cast<Phys<T>*>(out) = *static_cast<const Phys<T>*>(args[i]);
      return 1;
    }
  }
  return 0;
}

template <TypeId T>
bool equal(const Phys<T>& a, const Phys<T>& b) { return a == b; }

template <TypeId T>
uint8_t nullif_thunk(FunctionContext*, void* out, void* const* args, const uint8_t* valid, uint32_t) {
  if (!valid[0]) return 0;
  const auto& a = *static_cast<const Phys<T>*>(args[0]);
  if (valid[1] && equal<T>(a, *static_cast<const Phys<T>*>(args[1]))) return 0;
  *static_cast<Phys<T>*>(out) = a;
  return 1;
}

template <TypeId T>
void register_for(FunctionCatalogue& c) {
  c.add_raw("coalesce", "null", "the first non-NULL argument", NullHandling::Custom, true,
            FunctionOverload{{T}, true, T, &coalesce_thunk<T>, {}});
  c.add_raw("ifnull", "null", "b if a is NULL, else a: coalesce of two arguments", NullHandling::Custom, true,
            FunctionOverload{{T, T}, false, T, &coalesce_thunk<T>, {}});
  c.add_raw("nullif", "null", "NULL if both arguments are equal, else the first", NullHandling::Custom, true,
            FunctionOverload{{T, T}, false, T, &nullif_thunk<T>, {}});
}

}  // namespace

void register_null_functions(FunctionCatalogue& c) {
  register_for<TypeId::Boolean>(c);
  register_for<TypeId::BigInt>(c);
  register_for<TypeId::Double>(c);
  register_for<TypeId::String>(c);
  register_for<TypeId::Timestamp>(c);
  register_for<TypeId::Interval>(c);
}

}  // namespace pipec
