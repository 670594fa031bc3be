// Executes the examples in docs/functions.md: every "`expr` → `result`" pair
// is evaluated through the catalogue and compared with the result's SQL text,
// so the documentation cannot drift from the implementation.
//
// The expression language is just enough for examples: function calls,
// 'string' literals ('' is a quote), integers and decimals, TRUE, FALSE,
// NULL, TIMESTAMP 'yyyy-MM-dd HH:mm:ss[.SSS]' and INTERVAL 'n' UNIT.
#include <doctest/doctest.h>

#include <cctype>
#include <charconv>
#include <fstream>
#include <optional>
#include <sstream>

#include "runtime/common/timestamp.h"
#include "tests/unit/stdlib/stdlib_test_util.h"

using namespace pipec;
using namespace pipec::test;

namespace {

class ExampleParser {
 public:
  explicit ExampleParser(std::string_view text) : s_(text) {}

  std::optional<Value> parse() {
    auto v = expr();
    skip_ws();
    if (!v || pos_ != s_.size()) return std::nullopt;
    return v;
  }

 private:
  void skip_ws() {
    while (pos_ < s_.size() && s_[pos_] == ' ') ++pos_;
  }
  bool eat(char c) {
    skip_ws();
    if (pos_ < s_.size() && s_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  std::optional<std::string> string_lit() {
    if (!eat('\'')) return std::nullopt;
    std::string out;
    while (pos_ < s_.size()) {
      char c = s_[pos_++];
      if (c == '\'') {
        if (pos_ < s_.size() && s_[pos_] == '\'') {
          out.push_back('\'');
          ++pos_;
          continue;
        }
        return out;
      }
      out.push_back(c);
    }
    return std::nullopt;
  }
  std::string word() {
    skip_ws();
    size_t b = pos_;
    while (pos_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[pos_])) || s_[pos_] == '_')) ++pos_;
    return std::string(s_.substr(b, pos_ - b));
  }
  std::optional<Value> expr() {
    skip_ws();
    if (pos_ >= s_.size()) return std::nullopt;
    char c = s_[pos_];
    if (c == '\'') {
      auto str = string_lit();
      if (!str) return std::nullopt;
      return Value::string(*str);
    }
    if (c == '-' || std::isdigit(static_cast<unsigned char>(c))) {
      size_t b = pos_++;
      while (pos_ < s_.size() && (std::isdigit(static_cast<unsigned char>(s_[pos_])) || s_[pos_] == '.' ||
                                  s_[pos_] == 'e' || s_[pos_] == 'E'))
        ++pos_;
      std::string_view num = s_.substr(b, pos_ - b);
      if (num.find_first_of(".eE") == std::string_view::npos) {
        int64_t i;
        if (std::from_chars(num.data(), num.data() + num.size(), i).ec != std::errc()) return std::nullopt;
        return Value::bigint(i);
      }
      double d;
      if (std::from_chars(num.data(), num.data() + num.size(), d).ec != std::errc()) return std::nullopt;
      return Value::float64(d);
    }
    std::string w = word();
    if (w.empty()) return std::nullopt;
    if (w == "TRUE" || w == "FALSE") return Value::boolean(w == "TRUE");
    if (w == "NULL") return Value::null();
    if (w == "TIMESTAMP") {
      auto text = string_lit();
      int64_t ms;
      std::string_view why;
      if (!text || !parse_iso8601_millis(*text, &ms, &why)) return std::nullopt;
      return Value::timestamp(ms);
    }
    if (w == "INTERVAL") {
      auto n = string_lit();
      std::string unit = word();
      int64_t per = unit == "MILLISECOND" ? 1 : unit == "SECOND" ? 1000 : unit == "MINUTE" ? 60000
                  : unit == "HOUR" ? 3600000 : unit == "DAY" ? 86400000 : 0;
      if (!n || per == 0) return std::nullopt;
      return Value::interval(std::stoll(*n) * per);
    }
    if (!eat('(')) return std::nullopt;
    std::vector<Value> args;
    if (!eat(')')) {
      do {
        auto a = expr();
        if (!a) return std::nullopt;
        args.push_back(*a);
      } while (eat(','));
      if (!eat(')')) return std::nullopt;
    }
    return call(w, std::move(args));
  }

  std::string_view s_;
  size_t pos_ = 0;
};

struct Example {
  std::string expr, expected;
  int line;
};

std::vector<Example> examples_in(const std::string& doc) {
  std::vector<Example> out;
  const std::string arrow = "` \xE2\x86\x92 `";  // ` → `
  for (size_t at = doc.find(arrow); at != std::string::npos; at = doc.find(arrow, at + 1)) {
    size_t open = doc.rfind('`', at - 1);
    size_t rs = at + arrow.size();
    size_t close = doc.find('`', rs);
    if (open == std::string::npos || close == std::string::npos) continue;
    auto unescape = [](std::string s) {
      for (size_t p = s.find("\\|"); p != std::string::npos; p = s.find("\\|", p)) s.erase(p, 1);
      return s;
    };
    int line = 1 + static_cast<int>(std::count(doc.begin(), doc.begin() + static_cast<long>(at), '\n'));
    out.push_back({unescape(doc.substr(open + 1, at - open - 1)), unescape(doc.substr(rs, close - rs)), line});
  }
  return out;
}

}  // namespace

TEST_CASE("the examples in docs/functions.md are what the functions return") {
  std::ifstream in(std::string(PIPEC_SOURCE_DIR) + "/docs/functions.md");
  std::stringstream ss;
  ss << in.rdbuf();
  auto examples = examples_in(ss.str());
  CHECK(examples.size() >= 80);
  for (const auto& ex : examples) {
    INFO("docs/functions.md:" << ex.line << ": " << ex.expr);
    auto v = ExampleParser(ex.expr).parse();
    CHECK_MESSAGE(v.has_value(), "example does not parse");
    if (v) CHECK(v->to_sql() == ex.expected);
  }
}
