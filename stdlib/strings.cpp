// String functions. Lengths and positions count Unicode code points, as in
// Flink SQL and DuckDB; case mapping is ASCII-only (documented in
// docs/functions.md) because it must be identical on every machine.
#include "stdlib/catalogue.h"

namespace pipec {

namespace {

uint32_t count_code_points(StringRef s) {
  uint32_t n = 0;
  for (uint32_t i = 0; i < s.size; ++i)
    if ((static_cast<unsigned char>(s.data[i]) & 0xC0) != 0x80) ++n;
  return n;
}

template <int (*Map)(int)>
bool map_ascii(FunctionContext& ctx, StringRef& out, StringRef s) {
  char* p = ctx.arena->allocate(s.size);
  for (uint32_t i = 0; i < s.size; ++i) {
    unsigned char c = static_cast<unsigned char>(s.data[i]);
    p[i] = c < 0x80 ? static_cast<char>(Map(c)) : static_cast<char>(c);
  }
  out = StringRef{p, s.size};
  return true;
}

int ascii_lower(int c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }
int ascii_upper(int c) { return c >= 'a' && c <= 'z' ? c - 32 : c; }

struct Lower {
  static bool call(FunctionContext& ctx, StringRef& out, StringRef s) { return map_ascii<ascii_lower>(ctx, out, s); }
};
struct Upper {
  static bool call(FunctionContext& ctx, StringRef& out, StringRef s) { return map_ascii<ascii_upper>(ctx, out, s); }
};
struct Length {
  static bool call(FunctionContext&, int64_t& out, StringRef s) {
    out = count_code_points(s);
    return true;
  }
};

// concat(a, b, ...): NULL arguments are skipped (Flink's CONCAT_WS-free
// behaviour differs; we follow DuckDB's concat, which ignores NULLs).
uint8_t concat_thunk(FunctionContext* ctx, void* out, void* const* args, const uint8_t* valid, uint32_t n) {
  size_t total = 0;
  for (uint32_t i = 0; i < n; ++i)
    if (valid[i]) total += static_cast<const StringRef*>(args[i])->size;
  char* p = ctx->arena->allocate(total);
  size_t at = 0;
  for (uint32_t i = 0; i < n; ++i) {
    if (!valid[i]) continue;
    auto* s = static_cast<const StringRef*>(args[i]);
    if (s->size) std::memcpy(p + at, s->data, s->size);
    at += s->size;
  }
  *static_cast<StringRef*>(out) = StringRef{p, static_cast<uint32_t>(total)};
  return 1;
}

}  // namespace

void register_string_functions(FunctionCatalogue& c) {
  c.add_simple<Lower, TypeId::String, TypeId::String>("lower", "string", "ASCII lower case");
  c.add_simple<Upper, TypeId::String, TypeId::String>("upper", "string", "ASCII upper case");
  c.add_simple<Length, TypeId::BigInt, TypeId::String>("length", "string", "number of code points");
  c.add_raw("concat", "string", "concatenation; NULL arguments are skipped", NullHandling::Custom, true,
            FunctionOverload{{TypeId::String}, true, TypeId::String, &concat_thunk, {}});
}

}  // namespace pipec
