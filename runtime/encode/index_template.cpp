#include "runtime/encode/index_template.h"

#include <cctype>
#include <stdexcept>

#include "runtime/vector/timestamp.h"

namespace pipec {

namespace {

[[noreturn]] void bad(std::string_view text, const std::string& why) {
  throw std::invalid_argument("index template '" + std::string(text) + "': " + why);
}

void check_literal(std::string_view text, std::string_view lit, bool at_start) {
  for (char c : lit) {
    if (std::isupper(static_cast<unsigned char>(c)))
      bad(text, "index names must be lowercase");
    if (std::string_view("\\/*?\"<>|, #{}").find(c) != std::string_view::npos ||
        static_cast<unsigned char>(c) < 0x20)
      bad(text, std::string("character '") + c + "' is not allowed in an index name");
  }
  if (at_start && !lit.empty() && (lit[0] == '-' || lit[0] == '_' || lit[0] == '+'))
    bad(text, "an index name must not start with '-', '_' or '+'");
}

int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

void put_digits(std::string* out, int64_t v, int width) {
  char buf[24];
  int n = 0;
  uint64_t u = v < 0 ? uint64_t(0) - uint64_t(v) : uint64_t(v);
  do {
    buf[n++] = static_cast<char>('0' + u % 10);
    u /= 10;
  } while (u);
  while (n < width) buf[n++] = '0';
  if (v < 0) out->push_back('-');
  while (n) out->push_back(buf[--n]);
}

}  // namespace

IndexTemplate IndexTemplate::fixed(std::string_view name) {
  if (name.find('{') != std::string_view::npos)
    bad(name, "a fixed index name cannot contain '{'");
  return parse(name, [](std::string_view) { return std::nullopt; });
}

IndexTemplate IndexTemplate::parse(std::string_view text, const Resolver& resolve) {
  IndexTemplate t;
  t.text_ = std::string(text);
  if (text.empty()) bad(text, "the index name is empty");
  if (text.size() > 255) bad(text, "index names are limited to 255 bytes");
  std::string literal;
  auto flush = [&] {
    if (literal.empty()) return;
    check_literal(text, literal, t.parts_.empty());
    t.parts_.push_back(Part{Token::Literal, std::move(literal), 0});
    literal.clear();
  };
  size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    if (c == '}') bad(text, "unmatched '}'");
    if (c != '{') {
      literal.push_back(c);
      ++i;
      continue;
    }
    size_t close = text.find('}', i);
    if (close == std::string_view::npos) bad(text, "unmatched '{'");
    std::string_view inner = text.substr(i + 1, close - i - 1);
    size_t bar = inner.find('|');
    if (bar == std::string_view::npos || bar == 0 || bar + 1 == inner.size())
      bad(text, "expected {field|pattern}, e.g. {ts|yyyy.MM.dd}");
    std::string_view name = inner.substr(0, bar);
    std::string_view pattern = inner.substr(bar + 1);
    std::optional<Column> col = resolve(name);
    if (!col) bad(text, "unknown field '" + std::string(name) + "'");
    if (col->type != TypeId::Timestamp)
      bad(text, "field '" + std::string(name) + "' is " + std::string(type_id_name(col->type)) +
                    ", expected TIMESTAMP");
    uint32_t field = static_cast<uint32_t>(t.fields_.size());
    int64_t granularity = kMillisPerDay;
    flush();
    for (size_t p = 0; p < pattern.size();) {
      char pc = pattern[p];
      if (!std::isalpha(static_cast<unsigned char>(pc))) {
        literal.push_back(pc);
        ++p;
        continue;
      }
      size_t run = p;
      while (run < pattern.size() && pattern[run] == pc) ++run;
      std::string_view tok = pattern.substr(p, run - p);
      Token token;
      if (tok == "yyyy") token = Token::Year;
      else if (tok == "MM") token = Token::Month;
      else if (tok == "dd") token = Token::Day;
      else if (tok == "HH") token = Token::Hour, granularity = std::min<int64_t>(granularity, 3'600'000);
      else if (tok == "mm") token = Token::Minute, granularity = std::min<int64_t>(granularity, 60'000);
      else if (tok == "ss") token = Token::Second, granularity = std::min<int64_t>(granularity, 1000);
      else
        bad(text, "unsupported date pattern '" + std::string(tok) +
                      "' (use yyyy, MM, dd, HH, mm, ss)");
      flush();
      t.parts_.push_back(Part{token, {}, field});
      p = run;
    }
    flush();
    t.fields_.push_back(Field{std::string(name), col->column, granularity});
    i = close + 1;
  }
  flush();
  t.cached_key_.assign(t.fields_.size(), 0);
  return t;
}

std::optional<std::string_view> IndexTemplate::render(const Batch& batch, uint32_t row,
                                                     std::string* error) const {
  if (fields_.empty()) return std::string_view(text_);
  // Rows of one batch mostly share a day (or hour): reuse the last name while
  // every field's timestamp stays in the same bucket.
  bool same = cache_valid_;
  for (size_t f = 0; f < fields_.size(); ++f) {
    const Vector& col = batch.columns[fields_[f].column];
    if (!col.is_valid(row)) {
      *error = "index template field '" + fields_[f].name + "' is NULL";
      return std::nullopt;
    }
    int64_t bucket = floor_div(col.data<int64_t>()[row], fields_[f].granularity_ms);
    if (bucket != cached_key_[f]) same = false;
    cached_key_[f] = bucket;
  }
  if (!same) {
    std::vector<CivilTime> civil;
    for (const Field& f : fields_)
      civil.push_back(civil_from_millis(batch.columns[f.column].data<int64_t>()[row]));
    cached_name_.clear();
    for (const Part& p : parts_) {
      const CivilTime& c = civil[p.field];
      switch (p.token) {
        case Token::Literal: cached_name_ += p.literal; break;
        case Token::Year: put_digits(&cached_name_, c.year, 4); break;
        case Token::Month: put_digits(&cached_name_, c.month, 2); break;
        case Token::Day: put_digits(&cached_name_, c.day, 2); break;
        case Token::Hour: put_digits(&cached_name_, c.hour, 2); break;
        case Token::Minute: put_digits(&cached_name_, c.minute, 2); break;
        case Token::Second: put_digits(&cached_name_, c.second, 2); break;
      }
    }
    cache_valid_ = true;
  }
  return std::string_view(cached_name_);
}

}  // namespace pipec
