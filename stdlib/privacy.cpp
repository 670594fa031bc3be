// Privacy functions: masking, redaction and keyed pseudonymisation.
//
// They err on the side of revealing less: mask() of a value no longer than the
// part it would keep masks everything, redact_email() of something that is not
// an address redacts all of it, and hash_pii() refuses an empty key.
#include <openssl/evp.h>

#include <cstring>

#include "stdlib/cache.h"
#include "stdlib/catalogue.h"
#include "stdlib/crypto.h"
#include "stdlib/utf8.h"

namespace pipec {

namespace {

constexpr auto S = TypeId::String;
constexpr auto I = TypeId::BigInt;
constexpr std::string_view kRedacted = "[REDACTED]";

// Replaces every code point but the last keep_last with mask_char (one code
// point). If s has no more than keep_last code points, all are masked.
bool mask_impl(FunctionContext& ctx, StringRef& out, StringRef s, int64_t keep_last, StringRef mask_char) {
  if (keep_last < 0 || mask_char.size == 0 || utf8::count(mask_char) != 1) return false;
  int64_t n = utf8::count(s);
  int64_t masked = n > keep_last ? n - keep_last : n;
  size_t keep_from = utf8::offset_of(s.data, s.size, masked);
  size_t kept = s.size - keep_from;
  uint64_t total = static_cast<uint64_t>(masked) * mask_char.size + kept;
  if (total > stdlib_detail::kMaxResultBytes) return false;
  char* p = ctx.arena->allocate(total);
  size_t w = 0;
  for (int64_t i = 0; i < masked; ++i, w += mask_char.size) std::memcpy(p + w, mask_char.data, mask_char.size);
  if (kept) std::memcpy(p + w, s.data + keep_from, kept);
  out = StringRef{p, static_cast<uint32_t>(total)};
  return true;
}

struct Mask1 {
  static bool call(FunctionContext& ctx, StringRef& out, StringRef s) {
    return mask_impl(ctx, out, s, 4, StringRef{"*", 1});
  }
};
struct Mask3 {
  static bool call(FunctionContext& ctx, StringRef& out, StringRef s, int64_t keep_last, StringRef mask_char) {
    return mask_impl(ctx, out, s, keep_last, mask_char);
  }
};

struct Redact {
  static bool call(FunctionContext&, StringRef& out, StringRef) {
    out = StringRef::of(kRedacted);
    return true;
  }
};

// 'jane.doe@example.com' -> '[REDACTED]@example.com'. The domain is what
// follows the last '@'; without a non-empty local part and domain the whole
// value is redacted.
struct RedactEmail {
  static bool call(FunctionContext& ctx, StringRef& out, StringRef s) {
    std::string_view v = s.view();
    size_t at = v.rfind('@');
    if (at == std::string_view::npos || at == 0 || at + 1 == v.size()) {
      out = StringRef::of(kRedacted);
      return true;
    }
    size_t domain = v.size() - at;  // including '@'
    char* p = ctx.arena->allocate(kRedacted.size() + domain);
    std::memcpy(p, kRedacted.data(), kRedacted.size());
    std::memcpy(p + kRedacted.size(), v.data() + at, domain);
    out = StringRef{p, static_cast<uint32_t>(kRedacted.size() + domain)};
    return true;
  }
};

// HMAC-SHA256 (RFC 2104) with the key's padded blocks absorbed once per key:
// a call then costs two context copies and the hashing of the value, not a
// key schedule and MAC object per row.
struct HmacKey {
  stdlib_detail::MdContext inner, outer;  // after hashing K0^ipad / K0^opad
  bool ok = false;
};

std::unique_ptr<HmacKey> prepare_hmac(std::string_view key) {
  auto h = std::make_unique<HmacKey>();
  const EVP_MD* sha256 = stdlib_detail::fetched_md<stdlib_detail::kSha256>();
  constexpr size_t kBlock = 64;
  unsigned char k0[kBlock] = {};
  if (!sha256 || !h->inner.ctx || !h->outer.ctx) return h;
  if (key.size() > kBlock) {
    unsigned int n = 0;
    if (EVP_Digest(key.data(), key.size(), k0, &n, sha256, nullptr) != 1) return h;
  } else {
    std::memcpy(k0, key.data(), key.size());
  }
  unsigned char ipad[kBlock], opad[kBlock];
  for (size_t i = 0; i < kBlock; ++i) {
    ipad[i] = static_cast<unsigned char>(k0[i] ^ 0x36);
    opad[i] = static_cast<unsigned char>(k0[i] ^ 0x5c);
  }
  h->ok = EVP_DigestInit_ex(h->inner.ctx, sha256, nullptr) == 1 && EVP_DigestUpdate(h->inner.ctx, ipad, kBlock) == 1 &&
          EVP_DigestInit_ex(h->outer.ctx, sha256, nullptr) == 1 && EVP_DigestUpdate(h->outer.ctx, opad, kBlock) == 1;
  return h;
}

struct HmacScratch {
  stdlib_detail::MdContext work;
};

bool hmac_sha256(FunctionContext& ctx, std::string_view key, std::string_view value, unsigned char* out) {
  const HmacKey* h = stdlib_detail::cached_compile<HmacKey>(ctx, "stdlib.hmac", key, prepare_hmac);
  if (!h->ok) return false;
  EVP_MD_CTX* w = ctx.cached<HmacScratch>("stdlib.hmac.work", [] { return std::make_unique<HmacScratch>(); })->work.ctx;
  unsigned char inner[EVP_MAX_MD_SIZE];
  unsigned int n = 0, m = 0;
  return w && EVP_MD_CTX_copy_ex(w, h->inner.ctx) == 1 &&
         (value.empty() || EVP_DigestUpdate(w, value.data(), value.size()) == 1) &&
         EVP_DigestFinal_ex(w, inner, &n) == 1 && EVP_MD_CTX_copy_ex(w, h->outer.ctx) == 1 &&
         EVP_DigestUpdate(w, inner, n) == 1 && EVP_DigestFinal_ex(w, out, &m) == 1 && m == 32;
}

// hash_pii(value, key): hex HMAC-SHA256 with the key (usually secret('...')).
// The same value and key always give the same token, so joins and counts
// still work on pseudonymised data. An empty key is NULL: it would make the
// tokens a plain, reversible-by-dictionary hash.
struct HashPii {
  static bool call(FunctionContext& ctx, StringRef& out, StringRef value, StringRef key) {
    if (key.size == 0) return false;
    unsigned char md[32];
    if (!hmac_sha256(ctx, key.view(), value.view(), md)) return false;
    out = stdlib_detail::hex_in_arena(ctx, md, sizeof md);
    return true;
  }
};

}  // namespace

void register_privacy_functions(FunctionCatalogue& c) {
  const char* f = "privacy";
  c.add_simple<Mask1, S, S>("mask", f,
                            "masks all but the last 4 (or keep_last) code points with '*' (or mask_char); "
                            "values no longer than that are masked entirely");
  c.add_simple<Mask3, S, S, I, S>("mask", f, "");
  c.add_simple<Redact, S, S>("redact", f, "the constant '[REDACTED]' (NULL stays NULL)");
  c.add_simple<RedactEmail, S, S>("redact_email", f, "redacts the local part of an e-mail address, keeping @domain");
  c.add_simple<HashPii, S, S, S>("hash_pii", f, "hex HMAC-SHA256 of value under key, e.g. secret('PII_KEY')");
}

}  // namespace pipec
