#include "runtime/common/index_pattern.h"

#include <algorithm>
#include <cctype>

#include "runtime/common/timestamp.h"

namespace pipec {

namespace {
void pad(std::string& out, int64_t v, int width) {
  std::string s = std::to_string(v < 0 ? -v : v);
  if (v < 0) out.push_back('-');
  for (int i = static_cast<int>(s.size()); i < width; ++i) out.push_back('0');
  out += s;
}

bool valid_index_char(char c) {
  // Elasticsearch forbids \ / * ? " < > | space , # and upper case.
  return !(c == '\\' || c == '/' || c == '*' || c == '?' || c == '"' || c == '<' || c == '>' || c == '|' ||
           c == ' ' || c == ',' || c == '#' || std::isupper(static_cast<unsigned char>(c)));
}
}  // namespace

std::optional<IndexPattern> IndexPattern::parse(std::string_view text, std::string* error) {
  auto fail = [&](std::string why) -> std::optional<IndexPattern> {
    if (error) *error = std::move(why);
    return std::nullopt;
  };
  if (text.empty()) return fail("the index name is empty");
  IndexPattern p;
  std::string literal;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '{') {
      size_t close = text.find('}', i);
      if (close == std::string_view::npos) return fail("'{' at position " + std::to_string(i + 1) + " is not closed");
      std::string_view inner = text.substr(i + 1, close - i - 1);
      size_t bar = inner.find('|');
      if (bar == std::string_view::npos || bar == 0 || bar + 1 == inner.size())
        return fail("write date patterns as {column|yyyy.MM.dd}");
      Part date{Part::Kind::Date, std::string(inner.substr(bar + 1)), std::string(inner.substr(0, bar))};
      for (char pc : date.text)
        if (std::isalpha(static_cast<unsigned char>(pc)) && std::string_view("yMdHms").find(pc) == std::string_view::npos)
          return fail(std::string("unknown date pattern letter '") + pc + "' (use yyyy MM dd HH mm ss)");
      if (!literal.empty()) p.parts_.push_back({Part::Kind::Literal, literal, {}});
      literal.clear();
      if (std::find(p.fields_.begin(), p.fields_.end(), date.field) == p.fields_.end()) p.fields_.push_back(date.field);
      p.parts_.push_back(std::move(date));
      i = close;
      continue;
    }
    if (c == '}') return fail("unmatched '}' at position " + std::to_string(i + 1));
    if (!valid_index_char(c))
      return fail(std::string("index names may not contain '") + c + "' (lower case, no \\ / * ? \" < > | , # or space)");
    literal.push_back(c);
  }
  if (!literal.empty()) p.parts_.push_back({Part::Kind::Literal, literal, {}});
  if (p.parts_.front().kind == Part::Kind::Literal &&
      (p.parts_.front().text[0] == '_' || p.parts_.front().text[0] == '-' || p.parts_.front().text[0] == '+'))
    return fail("index names may not start with '_', '-' or '+'");
  return p;
}

void IndexPattern::render(const int64_t* ts, std::string& out) const {
  size_t k = 0;
  for (const auto& part : parts_) {
    if (part.kind == Part::Kind::Literal) {
      out += part.text;
      continue;
    }
    CivilTime t = civil_from_millis(ts[k++]);
    const std::string& f = part.text;
    for (size_t i = 0; i < f.size();) {
      auto run = [&](char c) {
        size_t n = 0;
        while (i + n < f.size() && f[i + n] == c) ++n;
        return n;
      };
      char c = f[i];
      size_t n = run(c);
      switch (c) {
        case 'y': pad(out, t.year, static_cast<int>(n)); break;
        case 'M': pad(out, t.month, static_cast<int>(n)); break;
        case 'd': pad(out, t.day, static_cast<int>(n)); break;
        case 'H': pad(out, t.hour, static_cast<int>(n)); break;
        case 'm': pad(out, t.minute, static_cast<int>(n)); break;
        case 's': pad(out, t.second, static_cast<int>(n)); break;
        default: out.append(n, c); break;
      }
      i += n;
    }
  }
}

std::string IndexPattern::constant_name() const {
  std::string out;
  for (const auto& p : parts_) out += p.text;
  return out;
}

}  // namespace pipec
