// Helpers shared by the hash and privacy functions: lower-case hex encoding
// into the function arena, OpenSSL digests fetched once per process, and a
// digest context reused across calls (OpenSSL 3 would otherwise fetch the
// algorithm under a lock and allocate a context on every call).
#pragma once

#include <openssl/evp.h>

#include <cstddef>
#include <initializer_list>
#include <memory>
#include <string_view>

#include "stdlib/function.h"

namespace pipec::stdlib_detail {

inline StringRef hex_in_arena(FunctionContext& ctx, const unsigned char* bytes, size_t n) {
  static constexpr char kHex[] = "0123456789abcdef";
  char* p = ctx.arena->allocate(2 * n);
  for (size_t i = 0; i < n; ++i) {
    p[2 * i] = kHex[bytes[i] >> 4];
    p[2 * i + 1] = kHex[bytes[i] & 0xF];
  }
  return StringRef{p, static_cast<uint32_t>(2 * n)};
}

inline constexpr char kSha256[] = "SHA256";
inline constexpr char kSha1[] = "SHA1";
inline constexpr char kMd5[] = "MD5";

// Null if the provider lacks the algorithm (e.g. MD5 in FIPS mode); callers
// then return NULL.
template <const char* Name>
const EVP_MD* fetched_md() {
  static EVP_MD* md = EVP_MD_fetch(nullptr, Name, nullptr);
  return md;
}

struct MdContext {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  MdContext() = default;
  MdContext(const MdContext&) = delete;
  MdContext& operator=(const MdContext&) = delete;
  ~MdContext() { EVP_MD_CTX_free(ctx); }
};

// Digest of the concatenated parts; false on any OpenSSL failure.
inline bool digest(FunctionContext& fctx, const EVP_MD* md, std::initializer_list<std::string_view> parts,
                   unsigned char* out, unsigned int* n) {
  if (!md) return false;
  EVP_MD_CTX* c = fctx.cached<MdContext>("stdlib.mdctx", [] { return std::make_unique<MdContext>(); })->ctx;
  if (!c || EVP_DigestInit_ex(c, md, nullptr) != 1) return false;
  for (std::string_view p : parts)
    if (!p.empty() && EVP_DigestUpdate(c, p.data(), p.size()) != 1) return false;
  return EVP_DigestFinal_ex(c, out, n) == 1;
}

}  // namespace pipec::stdlib_detail
