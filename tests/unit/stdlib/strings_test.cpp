#include <doctest/doctest.h>

#include "stdlib/validation.h"
#include "tests/unit/stdlib/stdlib_test_util.h"

using namespace pipec;
using namespace pipec::test;

namespace {
const std::string kNull = "<NULL>";
// "héllo wörld" style multi-byte inputs: é is 2 bytes, 世 3 bytes, 😀 4 bytes.
const std::string kMixed = "a\xC3\xA9\xE4\xB8\x96\xF0\x9F\x98\x80z";  // aé世😀z: 5 code points, 11 bytes
}  // namespace

TEST_CASE("lower / upper are ASCII-only") {
  CHECK(str("lower", {S("HeLLo")}) == "hello");
  CHECK(str("upper", {S("HeLLo")}) == "HELLO");
  CHECK(str("upper", {S("\xC3\xA9t\xC3\xA9")}) == "\xC3\xA9T\xC3\xA9");  // été -> éTé
  CHECK(str("lower", {S("")}) == "");
  CHECK(str("upper", {N(TypeId::String)}) == kNull);
}

TEST_CASE("length counts code points, also on invalid UTF-8") {
  CHECK(eval("length", {S("")}) == "0");
  CHECK(eval("length", {S("abc")}) == "3");
  CHECK(eval("length", {S(kMixed)}) == "5");
  CHECK(eval("length", {S("\x80\x80" "a")}) == "2");  // leading stray bytes form one code point
  CHECK(eval("length", {S("a\xFF")}) == "2");
  CHECK(eval("length", {N()}) == "NULL");
}

TEST_CASE("concat skips NULLs") {
  CHECK(str("concat", {S("a"), N(TypeId::String), S("b")}) == "ab");
  CHECK(str("concat", {S("x")}) == "x");
  CHECK(str("concat", {N(TypeId::String), N(TypeId::String)}) == "");
}

TEST_CASE("trim, ltrim, rtrim") {
  CHECK(str("trim", {S("  a b \t\n")}) == "a b");
  CHECK(str("ltrim", {S("  a  ")}) == "a  ");
  CHECK(str("rtrim", {S("  a  ")}) == "  a");
  CHECK(str("trim", {S("   ")}) == "");
  CHECK(str("trim", {S("")}) == "");
  CHECK(str("trim", {S("\xC2\xA0x\xC2\xA0")}) == "\xC2\xA0x\xC2\xA0");  // NBSP is not ASCII whitespace
  // With a set of code points.
  CHECK(str("trim", {S("xxhixyx"), S("xy")}) == "hi");
  CHECK(str("ltrim", {S("xxhix"), S("x")}) == "hix");
  CHECK(str("rtrim", {S("xxhix"), S("x")}) == "xxhi");
  CHECK(str("trim", {S("\xC3\xA9" "a\xC3\xA9"), S("\xC3\xA9")}) == "a");
  CHECK(str("trim", {S("\xC3\xA9" "a\xC3\xA8"), S("\xC3\xA8")}) == "\xC3\xA9" "a");  // è only, not é
  CHECK(str("trim", {S("abc"), S("")}) == "abc");
  CHECK(str("trim", {S("aaa"), S("a")}) == "");
  CHECK(str("trim", {N(TypeId::String), S("a")}) == kNull);
  CHECK(str("trim", {S("a"), N(TypeId::String)}) == kNull);
}

TEST_CASE("substr: 1-based code points, SQL-standard start <= 0") {
  CHECK(str("substr", {S("hello"), I(2)}) == "ello");
  CHECK(str("substr", {S("hello"), I(2), I(3)}) == "ell");
  CHECK(str("substr", {S("hello"), I(1), I(100)}) == "hello");
  CHECK(str("substr", {S("hello"), I(0), I(3)}) == "he");   // positions 0,1,2
  CHECK(str("substr", {S("hello"), I(-1), I(3)}) == "h");
  CHECK(str("substr", {S("hello"), I(-5), I(3)}) == "");
  CHECK(str("substr", {S("hello"), I(0)}) == "hello");
  CHECK(str("substr", {S("hello"), I(-100)}) == "hello");
  CHECK(str("substr", {S("hello"), I(6)}) == "");
  CHECK(str("substr", {S("hello"), I(3), I(0)}) == "");
  CHECK(str("substr", {S("hello"), I(3), I(-1)}) == kNull);
  CHECK(str("substr", {S(""), I(1), I(1)}) == "");
  CHECK(str("substr", {S(kMixed), I(2), I(3)}) == "\xC3\xA9\xE4\xB8\x96\xF0\x9F\x98\x80");
  CHECK(str("substr", {S(kMixed), I(4)}) == "\xF0\x9F\x98\x80z");
  // No overflow at the extremes.
  CHECK(str("substr", {S("hello"), I(INT64_MAX), I(INT64_MAX)}) == "");
  CHECK(str("substr", {S("hello"), I(INT64_MIN), I(INT64_MAX)}) == "");
  CHECK(str("substr", {S("hello"), I(2), I(INT64_MAX)}) == "ello");
  CHECK(str("substr", {S("hello"), I(INT64_MIN)}) == "hello");
  CHECK(str("substr", {N(TypeId::String), I(1)}) == kNull);
  CHECK(str("substr", {S("x"), N(TypeId::BigInt)}) == kNull);
  CHECK(str("substr", {S("x"), I(1), N(TypeId::BigInt)}) == kNull);
}

TEST_CASE("left / right") {
  CHECK(str("left", {S("hello"), I(2)}) == "he");
  CHECK(str("right", {S("hello"), I(2)}) == "lo");
  CHECK(str("left", {S("hello"), I(-2)}) == "hel");
  CHECK(str("right", {S("hello"), I(-2)}) == "llo");
  CHECK(str("left", {S("hello"), I(0)}) == "");
  CHECK(str("right", {S("hello"), I(99)}) == "hello");
  CHECK(str("left", {S("hello"), I(-99)}) == "");
  CHECK(str("left", {S(kMixed), I(2)}) == "a\xC3\xA9");
  CHECK(str("right", {S(kMixed), I(2)}) == "\xF0\x9F\x98\x80z");
  CHECK(str("left", {S("abc"), I(INT64_MIN)}) == "");
  CHECK(str("right", {S("abc"), I(INT64_MIN)}) == "");
  CHECK(str("right", {S("abc"), I(INT64_MAX)}) == "abc");
  CHECK(str("left", {N(TypeId::String), I(1)}) == kNull);
}

TEST_CASE("split_part") {
  CHECK(str("split_part", {S("a,b,c"), S(","), I(1)}) == "a");
  CHECK(str("split_part", {S("a,b,c"), S(","), I(3)}) == "c");
  CHECK(str("split_part", {S("a,b,c"), S(","), I(4)}) == "");
  CHECK(str("split_part", {S("a,b,c"), S(","), I(-1)}) == "c");
  CHECK(str("split_part", {S("a,b,c"), S(","), I(-3)}) == "a");
  CHECK(str("split_part", {S("a,b,c"), S(","), I(-4)}) == "");
  CHECK(str("split_part", {S("a,b,c"), S(","), I(0)}) == kNull);
  CHECK(str("split_part", {S("a,,c"), S(","), I(2)}) == "");
  CHECK(str("split_part", {S("a::b::c"), S("::"), I(2)}) == "b");
  CHECK(str("split_part", {S("abc"), S(""), I(1)}) == "abc");
  CHECK(str("split_part", {S("abc"), S(""), I(2)}) == "");
  CHECK(str("split_part", {S(""), S(","), I(1)}) == "");
  CHECK(str("split_part", {S("x\xE4\xB8\x96y"), S("\xE4\xB8\x96"), I(2)}) == "y");
  CHECK(str("split_part", {S("a,b"), S(","), I(INT64_MIN)}) == "");
  CHECK(str("split_part", {S("a,b"), S(","), I(INT64_MAX)}) == "");
  CHECK(str("split_part", {S("a,b"), N(TypeId::String), I(1)}) == kNull);
}

TEST_CASE("starts_with, ends_with, contains") {
  CHECK(eval("starts_with", {S("hello"), S("he")}) == "TRUE");
  CHECK(eval("starts_with", {S("hello"), S("lo")}) == "FALSE");
  CHECK(eval("starts_with", {S("hello"), S("")}) == "TRUE");
  CHECK(eval("starts_with", {S(""), S("a")}) == "FALSE");
  CHECK(eval("ends_with", {S("hello"), S("lo")}) == "TRUE");
  CHECK(eval("ends_with", {S("lo"), S("hello")}) == "FALSE");
  CHECK(eval("contains", {S("hello"), S("ell")}) == "TRUE");
  CHECK(eval("contains", {S("hello"), S("")}) == "TRUE");
  CHECK(eval("contains", {S("hello"), S("xyz")}) == "FALSE");
  CHECK(eval("contains", {S(kMixed), S("\xE4\xB8\x96")}) == "TRUE");
  CHECK(eval("contains", {N(TypeId::String), S("a")}) == "NULL");
  CHECK(eval("ends_with", {S("a"), N(TypeId::String)}) == "NULL");
}

TEST_CASE("position / strpos count code points") {
  CHECK(eval("position", {S("lo"), S("hello")}) == "4");
  CHECK(eval("position", {S("x"), S("hello")}) == "0");
  CHECK(eval("position", {S(""), S("hello")}) == "1");
  CHECK(eval("position", {S("z"), S(kMixed)}) == "5");
  CHECK(eval("strpos", {S("hello"), S("lo")}) == "4");
  CHECK(eval("strpos", {S(kMixed), S("\xF0\x9F\x98\x80")}) == "4");
  CHECK(eval("position", {N(TypeId::String), S("a")}) == "NULL");
}

TEST_CASE("replace") {
  CHECK(str("replace", {S("a-b-c"), S("-"), S("+")}) == "a+b+c");
  CHECK(str("replace", {S("aaa"), S("aa"), S("b")}) == "ba");
  CHECK(str("replace", {S("abc"), S(""), S("x")}) == "abc");
  CHECK(str("replace", {S("abc"), S("b"), S("")}) == "ac");
  CHECK(str("replace", {S("abc"), S("z"), S("y")}) == "abc");
  CHECK(str("replace", {S(""), S("a"), S("b")}) == "");
  CHECK(str("replace", {S("abcabc"), S("abc"), S("\xE4\xB8\x96\xE4\xB8\x96")}) ==
        "\xE4\xB8\x96\xE4\xB8\x96\xE4\xB8\x96\xE4\xB8\x96");
  CHECK(str("replace", {S("abc"), N(TypeId::String), S("b")}) == kNull);
  // A result over the 64 MiB cap is NULL, not an allocation of gigabytes.
  std::string big(1 << 20, 'a');
  CHECK(str("replace", {S(big), S("a"), S(std::string(100, 'b'))}) == kNull);
}

TEST_CASE("lpad / rpad") {
  CHECK(str("lpad", {S("7"), I(3), S("0")}) == "007");
  CHECK(str("rpad", {S("7"), I(3), S("0")}) == "700");
  CHECK(str("lpad", {S("ab"), I(7), S("xyz")}) == "xyzxyab");
  CHECK(str("rpad", {S("ab"), I(7), S("xyz")}) == "abxyzxy");
  CHECK(str("lpad", {S("abc"), I(5)}) == "  abc");
  CHECK(str("rpad", {S("abc"), I(5)}) == "abc  ");
  CHECK(str("lpad", {S("hello"), I(2)}) == "he");  // truncates, as PostgreSQL
  CHECK(str("rpad", {S("hello"), I(2)}) == "he");
  CHECK(str("lpad", {S("abc"), I(0)}) == "");
  CHECK(str("lpad", {S("abc"), I(-5)}) == "");
  CHECK(str("lpad", {S("abc"), I(5), S("")}) == "abc");
  CHECK(str("lpad", {S("\xC3\xA9"), I(3), S("\xE4\xB8\x96")}) == "\xE4\xB8\x96\xE4\xB8\x96\xC3\xA9");
  CHECK(str("rpad", {S(kMixed), I(3)}) == "a\xC3\xA9\xE4\xB8\x96");
  CHECK(str("lpad", {S("x"), I(INT64_MAX)}) == kNull);  // over the result cap
  CHECK(str("rpad", {S("x"), I(INT64_MAX), S("ab")}) == kNull);
  CHECK(str("lpad", {S("x"), N(TypeId::BigInt)}) == kNull);
}

TEST_CASE("repeat") {
  CHECK(str("repeat", {S("ab"), I(3)}) == "ababab");
  CHECK(str("repeat", {S("ab"), I(0)}) == "");
  CHECK(str("repeat", {S("ab"), I(-1)}) == "");
  CHECK(str("repeat", {S(""), I(1000)}) == "");
  CHECK(str("repeat", {S("ab"), I(INT64_MAX)}) == kNull);
}

TEST_CASE("reverse keeps code points intact") {
  CHECK(str("reverse", {S("abc")}) == "cba");
  CHECK(str("reverse", {S("")}) == "");
  CHECK(str("reverse", {S(kMixed)}) == "z\xF0\x9F\x98\x80\xE4\xB8\x96\xC3\xA9" "a");
  CHECK(str("reverse", {S("a\xFF" "b")}) == "b\xFF" "a");
  CHECK(str("reverse", {N(TypeId::String)}) == kNull);
}

TEST_CASE("like") {
  auto like = [](std::string s, std::string p) { return eval("like", {S(s), S(p)}); };
  CHECK(like("hello", "hello") == "TRUE");
  CHECK(like("hello", "h%") == "TRUE");
  CHECK(like("hello", "%o") == "TRUE");
  CHECK(like("hello", "%ll%") == "TRUE");
  CHECK(like("hello", "h_llo") == "TRUE");
  CHECK(like("hello", "h_lo") == "FALSE");
  CHECK(like("hello", "Hello") == "FALSE");  // case-sensitive
  CHECK(like("", "%") == "TRUE");
  CHECK(like("", "") == "TRUE");
  CHECK(like("", "_") == "FALSE");
  CHECK(like("a", "") == "FALSE");
  CHECK(like("abc", "%%%") == "TRUE");
  CHECK(like("mississippi", "%iss%ppi") == "TRUE");
  CHECK(like("mississippi", "%iss%pi%x") == "FALSE");
  CHECK(like("aaaaaaaaaaaaaaaaaaaaaaaaaaaaab", "%a%a%a%a%a%a%a%a%a%a%c") == "FALSE");  // no blow-up
  CHECK(like(kMixed, "a___z") == "TRUE");  // _ is one code point, not one byte
  CHECK(like(kMixed, "a__z") == "FALSE");
  CHECK(like(kMixed, "%\xF0\x9F\x98\x80_") == "TRUE");
  CHECK(like("50%", "50\\%") == "FALSE");  // no escape character by default
  CHECK(like("50\\x", "50\\_") == "TRUE");
  // With an escape character.
  auto like_e = [](std::string s, std::string p, std::string e) { return eval("like", {S(s), S(p), S(e)}); };
  CHECK(like_e("50%", "50!%", "!") == "TRUE");
  CHECK(like_e("500", "50!%", "!") == "FALSE");
  CHECK(like_e("a_b", "a!_b", "!") == "TRUE");
  CHECK(like_e("axb", "a!_b", "!") == "FALSE");
  CHECK(like_e("a!b", "a!!b", "!") == "TRUE");
  CHECK(like_e("ab", "a!b", "!") == "TRUE");  // escaping an ordinary character is harmless
  CHECK(like_e("abc", "abc!", "!") == "NULL");  // pattern ends in the escape
  CHECK(like_e("abc", "abc", "!!") == "NULL");  // escape must be one code point
  CHECK(like_e("a%", "a\xC3\xA9%", "\xC3\xA9") == "TRUE");
  CHECK(like_e("50%", "50%", "") == "TRUE");  // empty escape: none
  CHECK(eval("like", {N(TypeId::String), S("%")}) == "NULL");
  CHECK(eval("like", {S("a"), N(TypeId::String)}) == "NULL");
}

TEST_CASE("regexp_match") {
  CHECK(eval("regexp_match", {S("order-123"), S("[0-9]+")}) == "TRUE");
  CHECK(eval("regexp_match", {S("order"), S("[0-9]+")}) == "FALSE");
  CHECK(eval("regexp_match", {S("abc"), S("^b")}) == "FALSE");
  CHECK(eval("regexp_match", {S(""), S("")}) == "TRUE");
  CHECK(eval("regexp_match", {S(kMixed), S("^a.{3}z$")}) == "TRUE");  // . is a code point
  CHECK(eval("regexp_match", {S("abc"), S("(")}) == "NULL");          // invalid pattern
  CHECK(eval("regexp_match", {S("abc"), S("a(?=b)")}) == "NULL");     // lookahead: not RE2
  CHECK(eval("regexp_match", {S("a\xFF" "b"), S("b")}) == "TRUE");    // invalid UTF-8 input is fine
  CHECK(eval("regexp_match", {N(TypeId::String), S("a")}) == "NULL");
  CHECK(eval("regexp_match", {S("a"), N(TypeId::String)}) == "NULL");
}

TEST_CASE("regexp_extract") {
  CHECK(str("regexp_extract", {S("order-123-x"), S("[0-9]+")}) == "123");
  CHECK(str("regexp_extract", {S("k=v"), S("(\\w+)=(\\w+)"), I(2)}) == "v");
  CHECK(str("regexp_extract", {S("k=v"), S("(\\w+)=(\\w+)"), I(0)}) == "k=v");
  CHECK(str("regexp_extract", {S("k=v"), S("(\\w+)=(\\w+)"), I(3)}) == kNull);   // no such group
  CHECK(str("regexp_extract", {S("k=v"), S("(\\w+)=(\\w+)"), I(-1)}) == kNull);
  CHECK(str("regexp_extract", {S("abc"), S("x")}) == kNull);                     // no match
  CHECK(str("regexp_extract", {S("b"), S("(a)|(b)"), I(1)}) == kNull);           // group did not take part
  CHECK(str("regexp_extract", {S("b"), S("(a)|(b)"), I(2)}) == "b");
  CHECK(str("regexp_extract", {S("abc"), S("x*")}) == "");                        // empty match
  CHECK(str("regexp_extract", {S("abc"), S("[")}) == kNull);
  CHECK(str("regexp_extract", {S("x\xE4\xB8\x96y"), S("x(.)y"), I(1)}) == "\xE4\xB8\x96");
  // Many groups.
  std::string pat, text;
  for (int i = 0; i < 40; ++i) {
    pat += "(.)";
    text.push_back(static_cast<char>('A' + i % 26));
  }
  CHECK(str("regexp_extract", {S(text), S(pat), I(40)}) == std::string(1, 'A' + 39 % 26));
}

TEST_CASE("regexp_replace") {
  CHECK(str("regexp_replace", {S("a1b22c333"), S("[0-9]+"), S("#")}) == "a#b#c#");
  CHECK(str("regexp_replace", {S("john smith"), S("(\\w+) (\\w+)"), S("\\2, \\1")}) == "smith, john");
  CHECK(str("regexp_replace", {S("abc"), S("x"), S("y")}) == "abc");
  CHECK(str("regexp_replace", {S("abc"), S(""), S("-")}) == "-a-b-c-");
  CHECK(str("regexp_replace", {S("a.b"), S("\\."), S("\\\\")}) == "a\\b");
  CHECK(str("regexp_replace", {S("abc"), S("(b)"), S("\\2")}) == kNull);  // missing group
  CHECK(str("regexp_replace", {S("abc"), S("b"), S("\\")}) == kNull);     // stray backslash
  CHECK(str("regexp_replace", {S("abc"), S("("), S("x")}) == kNull);
  CHECK(str("regexp_replace", {S(kMixed), S("."), S("x")}) == "xxxxx");
  CHECK(str("regexp_replace", {N(TypeId::String), S("a"), S("b")}) == kNull);
}

TEST_CASE("regex cache stays bounded with per-row patterns") {
  TestContext t;
  for (int i = 0; i < 2000; ++i) {
    std::string p = "x" + std::to_string(i);
    Value v = call("regexp_match", {S("x1999"), S(p)}, &t.ctx);
    CHECK(v.b == (i == 1999 || i == 1 || i == 19 || i == 199));
  }
  // The same context keeps answering correctly after the cache was cleared.
  CHECK(call("regexp_match", {S("x5"), S("x[0-9]")}, &t.ctx).b);
}

TEST_CASE("stdlib_validate_regex") {
  std::string err;
  CHECK(stdlib_validate_regex("^[a-z]+$", &err));
  CHECK_FALSE(stdlib_validate_regex("(", &err));
  CHECK(err.find("missing )") != std::string::npos);
  CHECK_FALSE(stdlib_validate_regex("a(?=b)", nullptr));
}

TEST_CASE("like agrees with an equivalent anchored RE2 pattern (differential)") {
  // Alphabet with a multi-byte code point and both wildcards.
  const std::vector<std::string> text_chars = {"a", "b", "\xC3\xA9"};
  const std::vector<std::string> pat_chars = {"a", "b", "\xC3\xA9", "%", "_"};
  uint64_t rng = 12345;
  auto next = [&](size_t n) {
    rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<size_t>((rng >> 33) % n);
  };
  int mismatches = 0;
  for (int iter = 0; iter < 3000; ++iter) {
    std::string s, p, re = "(?s)^";
    for (size_t i = next(8); i > 0; --i) s += text_chars[next(text_chars.size())];
    for (size_t i = next(6); i > 0; --i) {
      const std::string& c = pat_chars[next(pat_chars.size())];
      p += c;
      re += c == "%" ? ".*" : c == "_" ? "." : c;
    }
    re += "$";
    Value a = call("like", {S(s), S(p)});
    Value b = call("regexp_match", {S(s), S(re)});
    if (a.b != b.b && mismatches++ < 5) FAIL_CHECK("like('" << s << "', '" << p << "') = " << a.b);
  }
  CHECK(mismatches == 0);
}
