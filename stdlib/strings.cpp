// String functions. Lengths and positions count Unicode code points, as in
// Flink SQL and DuckDB (see stdlib/utf8.h for how invalid UTF-8 is counted);
// case mapping is ASCII-only (documented in docs/functions.md) because it
// must be identical on every machine. Regular expressions use RE2 syntax.
#include <re2/re2.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "stdlib/cache.h"
#include "stdlib/catalogue.h"
#include "stdlib/utf8.h"
#include "stdlib/validation.h"

namespace pipec {

using stdlib_detail::kMaxResultBytes;

namespace {

constexpr auto S = TypeId::String;
constexpr auto I = TypeId::BigInt;
constexpr auto B = TypeId::Boolean;

StringRef slice(StringRef s, size_t begin, size_t end) {
  return StringRef{s.data + begin, static_cast<uint32_t>(end - begin)};
}

// ------------------------------------------------------------------ case, length

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
    out = utf8::count(s);
    return true;
  }
};

// concat(a, b, ...): NULL arguments are skipped (DuckDB's concat; Flink's
// CONCAT returns NULL instead).
uint8_t concat_thunk(FunctionContext* ctx, void* out, void* const* args, const uint8_t* valid, uint32_t n) {
  size_t total = 0;
  for (uint32_t i = 0; i < n; ++i)
    if (valid[i]) total += static_cast<const StringRef*>(args[i])->size;
  if (total > kMaxResultBytes) return 0;
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

// ------------------------------------------------------------------ trimming

bool is_ascii_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

template <bool Left, bool Right>
struct TrimSpace {
  static bool call(FunctionContext&, StringRef& out, StringRef s) {
    size_t b = 0, e = s.size;
    if (Left)
      while (b < e && is_ascii_space(s.data[b])) ++b;
    if (Right)
      while (e > b && is_ascii_space(s.data[e - 1])) --e;
    out = slice(s, b, e);
    return true;
  }
};

// Is the code point s[b, e) one of the code points of `set`?
bool in_set(StringRef set, const char* cp, size_t len) {
  for (size_t i = 0; i < set.size;) {
    size_t j = utf8::next(set.data, set.size, i);
    if (j - i == len && std::memcmp(set.data + i, cp, len) == 0) return true;
    i = j;
  }
  return false;
}

template <bool Left, bool Right>
struct TrimChars {
  static bool call(FunctionContext&, StringRef& out, StringRef s, StringRef chars) {
    size_t b = 0, e = s.size;
    if (Left)
      while (b < e) {
        size_t n = utf8::next(s.data, e, b);
        if (!in_set(chars, s.data + b, n - b)) break;
        b = n;
      }
    if (Right)
      while (e > b) {
        size_t p = utf8::prev(s.data, e);
        if (p < b) p = b;
        if (!in_set(chars, s.data + p, e - p)) break;
        e = p;
      }
    out = slice(s, b, e);
    return true;
  }
};

// ------------------------------------------------------------------ substrings

// substr(s, start[, len]), SQL standard semantics (PostgreSQL): the result is
// the code points at positions [start, start + len) intersected with
// [1, length(s)], so a start <= 0 eats into len. A negative len is NULL.
bool substr_impl(StringRef& out, StringRef s, int64_t start, int64_t len, bool has_len) {
  if (has_len && len < 0) return false;
  int64_t end;  // exclusive, 1-based
  if (!has_len || __builtin_add_overflow(start, len, &end)) end = std::numeric_limits<int64_t>::max();
  int64_t from = std::max<int64_t>(start, 1);
  if (end <= from) {
    out = kEmptyStringRef;
    return true;
  }
  size_t b = utf8::offset_of(s.data, s.size, from - 1);
  size_t e = end == std::numeric_limits<int64_t>::max() ? s.size
                                                         : b + utf8::offset_of(s.data + b, s.size - b, end - from);
  out = slice(s, b, e);
  return true;
}
struct Substr2 {
  static bool call(FunctionContext&, StringRef& out, StringRef s, int64_t start) {
    return substr_impl(out, s, start, 0, false);
  }
};
struct Substr3 {
  static bool call(FunctionContext&, StringRef& out, StringRef s, int64_t start, int64_t len) {
    return substr_impl(out, s, start, len, true);
  }
};

// left(s, n): the first n code points; n < 0: all but the last |n|.
struct Left {
  static bool call(FunctionContext&, StringRef& out, StringRef s, int64_t n) {
    size_t e = n >= 0 ? utf8::offset_of(s.data, s.size, n)
                      : utf8::offset_from_end(s.data, s.size, n == INT64_MIN ? INT64_MAX : -n);
    out = slice(s, 0, e);
    return true;
  }
};
// right(s, n): the last n code points; n < 0: all but the first |n|.
struct Right {
  static bool call(FunctionContext&, StringRef& out, StringRef s, int64_t n) {
    size_t b = n >= 0 ? utf8::offset_from_end(s.data, s.size, n)
                      : utf8::offset_of(s.data, s.size, n == INT64_MIN ? INT64_MAX : -n);
    out = slice(s, b, s.size);
    return true;
  }
};

// split_part(s, delim, n), PostgreSQL: 1-based field n; negative n counts from
// the end; fields past the end are ''; n = 0 is NULL. An empty delimiter
// makes the whole string the only field.
struct SplitPart {
  static bool call(FunctionContext&, StringRef& out, StringRef s, StringRef delim, int64_t n) {
    if (n == 0) return false;
    std::string_view sv = s.view(), d = delim.view();
    if (d.empty()) {
      out = (n == 1 || n == -1) ? s : kEmptyStringRef;
      return true;
    }
    if (n > 0) {
      size_t b = 0;
      for (int64_t k = 1; k < n; ++k) {
        size_t at = sv.find(d, b);
        if (at == std::string_view::npos) {
          out = kEmptyStringRef;
          return true;
        }
        b = at + d.size();
      }
      size_t e = sv.find(d, b);
      out = slice(s, b, e == std::string_view::npos ? s.size : e);
      return true;
    }
    // From the end: field -1 is after the last delimiter. Delimiter matches
    // are found left to right (so "aaa" split on "aa" has fields "", "a"),
    // then counted from the right.
    std::vector<size_t> starts{0}, ends;
    for (size_t at = sv.find(d); at != std::string_view::npos; at = sv.find(d, at + d.size())) {
      ends.push_back(at);
      starts.push_back(at + d.size());
    }
    ends.push_back(s.size);
    uint64_t k = uint64_t(0) - static_cast<uint64_t>(n);  // |n| without overflow
    if (k > starts.size()) {
      out = kEmptyStringRef;
      return true;
    }
    size_t idx = starts.size() - k;
    out = slice(s, starts[idx], ends[idx]);
    return true;
  }
};

// ------------------------------------------------------------------ searching

struct StartsWith {
  static bool call(FunctionContext&, uint8_t& out, StringRef s, StringRef prefix) {
    out = s.view().starts_with(prefix.view());
    return true;
  }
};
struct EndsWith {
  static bool call(FunctionContext&, uint8_t& out, StringRef s, StringRef suffix) {
    out = s.view().ends_with(suffix.view());
    return true;
  }
};
struct Contains {
  static bool call(FunctionContext&, uint8_t& out, StringRef s, StringRef needle) {
    out = s.view().find(needle.view()) != std::string_view::npos;
    return true;
  }
};

// 1-based code-point position of the first occurrence, 0 if absent, 1 for ''.
int64_t position_of(StringRef needle, StringRef haystack) {
  size_t at = haystack.view().find(needle.view());
  if (at == std::string_view::npos) return 0;
  return utf8::count(haystack.data, at) + 1;
}
struct Position {  // position(needle, haystack): SQL POSITION(needle IN haystack)
  static bool call(FunctionContext&, int64_t& out, StringRef needle, StringRef haystack) {
    out = position_of(needle, haystack);
    return true;
  }
};
struct Strpos {  // strpos(haystack, needle): PostgreSQL argument order
  static bool call(FunctionContext&, int64_t& out, StringRef haystack, StringRef needle) {
    out = position_of(needle, haystack);
    return true;
  }
};

// ------------------------------------------------------------------ building

// replace(s, from, to): every non-overlapping occurrence, left to right; an
// empty `from` leaves s unchanged.
struct Replace {
  static bool call(FunctionContext& ctx, StringRef& out, StringRef s, StringRef from, StringRef to) {
    std::string_view sv = s.view(), f = from.view();
    if (f.empty()) {
      out = s;
      return true;
    }
    size_t count = 0;
    for (size_t at = sv.find(f); at != std::string_view::npos; at = sv.find(f, at + f.size())) ++count;
    if (count == 0) {
      out = s;
      return true;
    }
    // count * to.size <= s.size * 4 GiB, no overflow in size_t.
    size_t total = s.size - count * f.size() + count * to.size;
    if (total > kMaxResultBytes) return false;
    char* p = ctx.arena->allocate(total);
    size_t w = 0, b = 0;
    for (size_t at = sv.find(f); at != std::string_view::npos; at = sv.find(f, b)) {
      std::memcpy(p + w, s.data + b, at - b);
      w += at - b;
      if (to.size) std::memcpy(p + w, to.data, to.size);
      w += to.size;
      b = at + f.size();
    }
    std::memcpy(p + w, s.data + b, s.size - b);
    out = StringRef{p, static_cast<uint32_t>(total)};
    return true;
  }
};

// lpad/rpad(s, len[, fill]), PostgreSQL: pad to len code points by repeating
// fill (default ' '); a longer s is truncated to its first len code points; an
// empty fill only truncates; len <= 0 gives ''.
template <bool LeftSide>
bool pad(FunctionContext& ctx, StringRef& out, StringRef s, int64_t len, StringRef fill) {
  if (len <= 0) {
    out = kEmptyStringRef;
    return true;
  }
  int64_t have = utf8::count(s);
  if (have >= len || fill.size == 0) {
    out = slice(s, 0, utf8::offset_of(s.data, s.size, len));
    return true;
  }
  int64_t need = len - have;  // code points of fill to emit
  int64_t fill_cps = utf8::count(fill);
  // Bytes: whole repetitions plus a prefix of fill; bound-check before allocating.
  int64_t reps = need / fill_cps, rest = need % fill_cps;
  if (static_cast<uint64_t>(reps) > kMaxResultBytes / fill.size) return false;
  size_t rest_bytes = utf8::offset_of(fill.data, fill.size, rest);
  size_t pad_bytes = static_cast<size_t>(reps) * fill.size + rest_bytes;
  size_t total = pad_bytes + s.size;
  if (total > kMaxResultBytes) return false;
  char* p = ctx.arena->allocate(total);
  char* w = LeftSide ? p : p + s.size;
  for (int64_t r = 0; r < reps; ++r, w += fill.size) std::memcpy(w, fill.data, fill.size);
  if (rest_bytes) std::memcpy(w, fill.data, rest_bytes);
  if (s.size) std::memcpy(LeftSide ? p + pad_bytes : p, s.data, s.size);
  out = StringRef{p, static_cast<uint32_t>(total)};
  return true;
}
constexpr StringRef kSpace{" ", 1};
struct Lpad2 {
  static bool call(FunctionContext& ctx, StringRef& out, StringRef s, int64_t len) { return pad<true>(ctx, out, s, len, kSpace); }
};
struct Lpad3 {
  static bool call(FunctionContext& ctx, StringRef& out, StringRef s, int64_t len, StringRef f) { return pad<true>(ctx, out, s, len, f); }
};
struct Rpad2 {
  static bool call(FunctionContext& ctx, StringRef& out, StringRef s, int64_t len) { return pad<false>(ctx, out, s, len, kSpace); }
};
struct Rpad3 {
  static bool call(FunctionContext& ctx, StringRef& out, StringRef s, int64_t len, StringRef f) { return pad<false>(ctx, out, s, len, f); }
};

// repeat(s, n): n <= 0 gives ''.
struct Repeat {
  static bool call(FunctionContext& ctx, StringRef& out, StringRef s, int64_t n) {
    if (n <= 0 || s.size == 0) {
      out = kEmptyStringRef;
      return true;
    }
    if (static_cast<uint64_t>(n) > kMaxResultBytes / s.size) return false;
    size_t total = static_cast<size_t>(n) * s.size;
    char* p = ctx.arena->allocate(total);
    for (int64_t i = 0; i < n; ++i) std::memcpy(p + static_cast<size_t>(i) * s.size, s.data, s.size);
    out = StringRef{p, static_cast<uint32_t>(total)};
    return true;
  }
};

// reverse(s): code points in reverse order (each code point's bytes intact).
struct Reverse {
  static bool call(FunctionContext& ctx, StringRef& out, StringRef s) {
    char* p = ctx.arena->allocate(s.size);
    size_t w = s.size;
    for (size_t i = 0; i < s.size;) {
      size_t j = utf8::next(s.data, s.size, i);
      w -= j - i;
      std::memcpy(p + w, s.data + i, j - i);
      i = j;
    }
    out = StringRef{p, s.size};
    return true;
  }
};

// ------------------------------------------------------------------ LIKE

// SQL LIKE: '%' matches any sequence of code points, '_' exactly one; the
// whole string must match; case-sensitive. With an escape code point, the
// escape makes the next code point literal; a pattern ending in the escape is
// invalid (NULL). An empty escape means none.
class LikeMatcher {
 public:
  LikeMatcher(StringRef pattern, StringRef escape) : p_(pattern), esc_(escape) {}

  bool valid() const {
    if (esc_.size == 0) return true;
    for (size_t i = 0; i < p_.size;) {
      Tok t = read(i);
      if (t.kind == Tok::Invalid) return false;
      i = t.next;
    }
    return true;
  }

  bool match(StringRef s) const {
    size_t si = 0, pi = 0;
    size_t star_p = SIZE_MAX, star_s = 0;
    while (si < s.size) {
      if (pi < p_.size) {
        Tok t = read(pi);
        if (t.kind == Tok::Any) {
          star_p = pi = t.next;
          star_s = si;
          continue;
        }
        size_t sn = utf8::next(s.data, s.size, si);
        if (t.kind == Tok::One ||
            (t.kind == Tok::Lit && sn - si == t.end - t.begin &&
             std::memcmp(s.data + si, p_.data + t.begin, sn - si) == 0)) {
          si = sn;
          pi = t.next;
          continue;
        }
      }
      if (star_p == SIZE_MAX) return false;
      // Backtrack: let the last '%' swallow one more code point.
      star_s = utf8::next(s.data, s.size, star_s);
      si = star_s;
      pi = star_p;
    }
    while (pi < p_.size) {
      Tok t = read(pi);
      if (t.kind != Tok::Any) return false;
      pi = t.next;
    }
    return true;
  }

 private:
  struct Tok {
    enum Kind { Lit, One, Any, Invalid } kind;
    size_t begin, end, next;
  };
  Tok read(size_t i) const {
    if (esc_.size && p_.size - i >= esc_.size && std::memcmp(p_.data + i, esc_.data, esc_.size) == 0) {
      size_t b = i + esc_.size;
      if (b >= p_.size) return {Tok::Invalid, i, i, p_.size};
      size_t e = utf8::next(p_.data, p_.size, b);
      return {Tok::Lit, b, e, e};
    }
    char c = p_.data[i];
    if (c == '%') return {Tok::Any, i, i + 1, i + 1};
    if (c == '_') return {Tok::One, i, i + 1, i + 1};
    size_t e = utf8::next(p_.data, p_.size, i);
    return {Tok::Lit, i, e, e};
  }
  StringRef p_, esc_;
};

struct Like2 {
  static bool call(FunctionContext&, uint8_t& out, StringRef s, StringRef pattern) {
    out = LikeMatcher(pattern, kEmptyStringRef).match(s);
    return true;
  }
};
struct Like3 {
  static bool call(FunctionContext&, uint8_t& out, StringRef s, StringRef pattern, StringRef escape) {
    if (utf8::count(escape) > 1) return false;
    LikeMatcher m(pattern, escape);
    if (!m.valid()) return false;
    out = m.match(s);
    return true;
  }
};

// ------------------------------------------------------------------ regular expressions

RE2::Options regex_options() {
  RE2::Options o;
  o.set_log_errors(false);  // invalid patterns are NULL results, not stderr noise
  return o;
}

const RE2* compiled_regex(FunctionContext& ctx, StringRef pattern) {
  const RE2* re = stdlib_detail::cached_compile<RE2>(ctx, "stdlib.regex", pattern.view(), [](std::string_view p) {
    return std::make_unique<RE2>(re2::StringPiece(p.data(), p.size()), regex_options());
  });
  return re->ok() ? re : nullptr;
}

re2::StringPiece piece(StringRef s) { return re2::StringPiece(s.data, s.size); }

// regexp_match(s, pattern): does the pattern match anywhere in s?
struct RegexpMatch {
  static bool call(FunctionContext& ctx, uint8_t& out, StringRef s, StringRef pattern) {
    const RE2* re = compiled_regex(ctx, pattern);
    if (!re) return false;
    out = RE2::PartialMatch(piece(s), *re);
    return true;
  }
};

// regexp_extract(s, pattern[, group]): the text of capture group `group`
// (0 = the whole match) of the first match; NULL if no match, if the group
// does not exist or did not participate in the match.
bool regexp_extract(FunctionContext& ctx, StringRef& out, StringRef s, StringRef pattern, int64_t group) {
  const RE2* re = compiled_regex(ctx, pattern);
  if (!re || group < 0 || group > re->NumberOfCapturingGroups()) return false;
  re2::StringPiece groups[1 + 32];
  std::vector<re2::StringPiece> many;
  re2::StringPiece* g = groups;
  if (group >= 32) {
    many.resize(static_cast<size_t>(group) + 1);
    g = many.data();
  }
  if (!re->Match(piece(s), 0, s.size, RE2::UNANCHORED, g, static_cast<int>(group) + 1)) return false;
  const re2::StringPiece& m = g[group];
  if (m.data() == nullptr) return false;
  out = StringRef{m.data(), static_cast<uint32_t>(m.size())};  // a view into s
  return true;
}
struct RegexpExtract2 {
  static bool call(FunctionContext& ctx, StringRef& out, StringRef s, StringRef pattern) {
    return regexp_extract(ctx, out, s, pattern, 0);
  }
};
struct RegexpExtract3 {
  static bool call(FunctionContext& ctx, StringRef& out, StringRef s, StringRef pattern, int64_t group) {
    return regexp_extract(ctx, out, s, pattern, group);
  }
};

// regexp_replace(s, pattern, replacement): every match replaced; \0..\9 in
// the replacement insert capture groups, \\ a backslash. A replacement that
// names a missing group or has a stray backslash is NULL.
struct RegexpReplace {
  static bool call(FunctionContext& ctx, StringRef& out, StringRef s, StringRef pattern, StringRef repl) {
    const RE2* re = compiled_regex(ctx, pattern);
    if (!re) return false;
    std::string err;
    if (!re->CheckRewriteString(piece(repl), &err)) return false;
    std::string text(s.view());
    RE2::GlobalReplace(&text, *re, piece(repl));
    if (text.size() > kMaxResultBytes) return false;
    out = ctx.copy(text);
    return true;
  }
};

}  // namespace

bool stdlib_validate_regex(std::string_view pattern, std::string* error) {
  RE2 re(re2::StringPiece(pattern.data(), pattern.size()), regex_options());
  if (re.ok()) return true;
  if (error) *error = re.error();
  return false;
}

void register_string_functions(FunctionCatalogue& c) {
  const char* f = "string";
  c.add_simple<Lower, S, S>("lower", f, "ASCII lower case; other bytes unchanged");
  c.add_simple<Upper, S, S>("upper", f, "ASCII upper case; other bytes unchanged");
  c.add_simple<Length, I, S>("length", f, "number of code points");
  c.add_raw("concat", f, "concatenation; NULL arguments are skipped", NullHandling::Custom, true,
            FunctionOverload{{S}, true, S, &concat_thunk, {}});

  c.add_simple<TrimSpace<true, true>, S, S>("trim", f, "removes leading and trailing ASCII whitespace, or the given code points");
  c.add_simple<TrimChars<true, true>, S, S, S>("trim", f, "");
  c.add_simple<TrimSpace<true, false>, S, S>("ltrim", f, "removes leading ASCII whitespace, or the given code points");
  c.add_simple<TrimChars<true, false>, S, S, S>("ltrim", f, "");
  c.add_simple<TrimSpace<false, true>, S, S>("rtrim", f, "removes trailing ASCII whitespace, or the given code points");
  c.add_simple<TrimChars<false, true>, S, S, S>("rtrim", f, "");

  c.add_simple<Substr2, S, S, I>("substr", f, "code points from 1-based start (for len); SQL-standard start <= 0");
  c.add_simple<Substr3, S, S, I, I>("substr", f, "");
  c.add_simple<Left, S, S, I>("left", f, "first n code points; negative n drops the last |n|");
  c.add_simple<Right, S, S, I>("right", f, "last n code points; negative n drops the first |n|");
  c.add_simple<SplitPart, S, S, S, I>("split_part", f, "n-th field (1-based, negative from the end) split on a delimiter");

  c.add_simple<StartsWith, B, S, S>("starts_with", f, "whether s begins with prefix");
  c.add_simple<EndsWith, B, S, S>("ends_with", f, "whether s ends with suffix");
  c.add_simple<Contains, B, S, S>("contains", f, "whether needle occurs in s");
  c.add_simple<Position, I, S, S>("position", f, "1-based code-point position of needle in haystack, 0 if absent");
  c.add_simple<Strpos, I, S, S>("strpos", f, "position with PostgreSQL argument order (haystack, needle)");

  c.add_simple<Replace, S, S, S, S>("replace", f, "replaces every occurrence of from with to");
  c.add_simple<Lpad2, S, S, I>("lpad", f, "left-pads to len code points (default fill ' '); truncates longer strings");
  c.add_simple<Lpad3, S, S, I, S>("lpad", f, "");
  c.add_simple<Rpad2, S, S, I>("rpad", f, "right-pads to len code points (default fill ' '); truncates longer strings");
  c.add_simple<Rpad3, S, S, I, S>("rpad", f, "");
  c.add_simple<Repeat, S, S, I>("repeat", f, "s repeated n times");
  c.add_simple<Reverse, S, S>("reverse", f, "code points in reverse order");

  c.add_simple<Like2, B, S, S>("like", f, "SQL LIKE with % and _, optional escape character");
  c.add_simple<Like3, B, S, S, S>("like", f, "");
  c.add_simple<RegexpMatch, B, S, S>("regexp_match", f, "whether an RE2 pattern matches anywhere in s");
  c.add_simple<RegexpExtract2, S, S, S>("regexp_extract", f, "capture group (default 0, the whole match) of the first RE2 match");
  c.add_simple<RegexpExtract3, S, S, S, I>("regexp_extract", f, "");
  c.add_simple<RegexpReplace, S, S, S, S>("regexp_replace", f, "replaces every RE2 match; \\1 in the replacement is group 1");
}

}  // namespace pipec
