// Hash functions: cryptographic digests as lower-case hex (OpenSSL EVP),
// xxhash64 as a BIGINT, and name-based (version 5) UUIDs.
#include <openssl/evp.h>
#include <xxhash.h>

#include <cstring>

#include "stdlib/catalogue.h"
#include "stdlib/crypto.h"

namespace pipec {

namespace {

// uuid_v5(name) uses this namespace: uuid_v5(DNS namespace, 'pipec.dev').
// It is part of the stable output format and must never change.
constexpr std::string_view kPipecUuidNamespace = "69792dcf-b153-5df8-b25e-d856153c17d9";

constexpr auto S = TypeId::String;
constexpr auto I = TypeId::BigInt;

template <const char* Name>
struct Digest {
  static bool call(FunctionContext& ctx, StringRef& out, StringRef s) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    if (!stdlib_detail::digest(ctx, stdlib_detail::fetched_md<Name>(), {s.view()}, md, &n)) return false;
    out = stdlib_detail::hex_in_arena(ctx, md, n);
    return true;
  }
};

// XXH64 with seed 0, its 64 bits reinterpreted as a signed BIGINT.
struct XxHash64 {
  static bool call(FunctionContext&, int64_t& out, StringRef s) {
    uint64_t h = XXH64(s.data, s.size, 0);
    std::memcpy(&out, &h, sizeof out);
    return true;
  }
};

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Accepts the canonical 8-4-4-4-12 form or 32 bare hex digits, any case.
bool parse_uuid(std::string_view s, unsigned char (&out)[16]) {
  bool hyphens = s.size() == 36;
  if (!hyphens && s.size() != 32) return false;
  size_t pos = 0;
  for (int i = 0; i < 16; ++i) {
    if (hyphens && (pos == 8 || pos == 13 || pos == 18 || pos == 23)) {
      if (s[pos] != '-') return false;
      ++pos;
    }
    int hi = hex_value(s[pos]), lo = hex_value(s[pos + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<unsigned char>(hi << 4 | lo);
    pos += 2;
  }
  return true;
}

// RFC 4122 section 4.3: SHA-1 of namespace bytes then name, first 16 bytes,
// version 5, variant 10xx.
bool uuid_v5(FunctionContext& ctx, StringRef& out, std::string_view ns_text, StringRef name) {
  unsigned char ns[16];
  if (!parse_uuid(ns_text, ns)) return false;
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  bool ok = stdlib_detail::digest(ctx, stdlib_detail::fetched_md<stdlib_detail::kSha1>(),
                                  {std::string_view(reinterpret_cast<const char*>(ns), sizeof ns), name.view()},
                                  md, &n);
  if (!ok || n < 16) return false;
  md[6] = static_cast<unsigned char>((md[6] & 0x0F) | 0x50);
  md[8] = static_cast<unsigned char>((md[8] & 0x3F) | 0x80);
  static constexpr char kHex[] = "0123456789abcdef";
  char* p = ctx.arena->allocate(36);
  size_t w = 0;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) p[w++] = '-';
    p[w++] = kHex[md[i] >> 4];
    p[w++] = kHex[md[i] & 0xF];
  }
  out = StringRef{p, 36};
  return true;
}

struct UuidV5 {
  static bool call(FunctionContext& ctx, StringRef& out, StringRef ns, StringRef name) {
    return uuid_v5(ctx, out, ns.view(), name);
  }
};
struct UuidV5Pipec {
  static bool call(FunctionContext& ctx, StringRef& out, StringRef name) {
    return uuid_v5(ctx, out, kPipecUuidNamespace, name);
  }
};

}  // namespace

void register_hash_functions(FunctionCatalogue& c) {
  const char* f = "hash";
  c.add_simple<Digest<stdlib_detail::kSha256>, S, S>("sha256", f, "SHA-256 of the UTF-8 bytes, lower-case hex");
  c.add_simple<Digest<stdlib_detail::kSha1>, S, S>("sha1", f, "SHA-1 of the UTF-8 bytes, lower-case hex (not for security)");
  c.add_simple<Digest<stdlib_detail::kMd5>, S, S>("md5", f, "MD5 of the UTF-8 bytes, lower-case hex (not for security)");
  c.add_simple<XxHash64, I, S>("xxhash64", f, "XXH64 (seed 0) of the bytes as a signed BIGINT");
  c.add_simple<UuidV5, S, S, S>("uuid_v5", f,
                                "RFC 4122 name-based UUID (SHA-1) in a namespace UUID, default the pipec namespace");
  c.add_simple<UuidV5Pipec, S, S>("uuid_v5", f, "");
}

}  // namespace pipec
