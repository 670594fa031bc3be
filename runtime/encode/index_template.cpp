#include "runtime/encode/index_template.h"

#include <stdexcept>

#include "runtime/common/timestamp.h"

namespace pipec {

namespace {

[[noreturn]] void bad(std::string_view text, const std::string& why) {
  throw std::invalid_argument("index template '" + std::string(text) + "': " + why);
}

int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

// The bucket a date pattern's name is constant over.
int64_t granularity_of(std::string_view date_pattern) {
  if (date_pattern.find('s') != std::string_view::npos) return kMillisPerSecond;
  if (date_pattern.find('m') != std::string_view::npos) return 60'000;
  if (date_pattern.find('H') != std::string_view::npos) return 3'600'000;
  return kMillisPerDay;
}

}  // namespace

IndexTemplate IndexTemplate::parse(std::string_view text, const Resolver& resolve) {
  std::string error;
  std::optional<IndexPattern> pattern = IndexPattern::parse(text, &error);
  if (!pattern) bad(text, error);
  // IndexPattern admits any non-letter in a date pattern; an index name must
  // also stay clear of JSON-significant bytes, as we write it unescaped.
  for (char c : text)
    if (c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20)
      bad(text, "index names may not contain '\"', '\\' or control characters");
  IndexTemplate t;
  t.text_ = std::string(text);
  for (const IndexPattern::Part& part : pattern->parts()) {
    if (part.kind != IndexPattern::Part::Kind::Date) continue;
    std::optional<Column> col = resolve(part.field);
    if (!col) bad(text, "unknown field '" + part.field + "'");
    if (col->type != TypeId::Timestamp)
      bad(text, "field '" + part.field + "' is " + std::string(type_id_name(col->type)) +
                    ", expected TIMESTAMP");
    t.parts_.push_back(DatePart{part.field, col->column, granularity_of(part.text)});
  }
  t.pattern_ = std::move(*pattern);
  t.timestamps_.assign(t.parts_.size(), 0);
  t.cached_key_.assign(t.parts_.size(), 0);
  return t;
}

IndexTemplate IndexTemplate::fixed(std::string_view name) {
  if (name.find('{') != std::string_view::npos) bad(name, "a fixed index name cannot contain '{'");
  return parse(name, [](std::string_view) { return std::nullopt; });
}

std::optional<std::string_view> IndexTemplate::render(const Batch& batch, uint32_t row,
                                                     std::string* error) const {
  if (parts_.empty()) return std::string_view(text_);
  bool same = cache_valid_;
  for (size_t i = 0; i < parts_.size(); ++i) {
    const Vector& col = batch.columns[parts_[i].column];
    if (!col.is_valid(row)) {
      *error = "index template field '" + parts_[i].field + "' is NULL";
      return std::nullopt;
    }
    int64_t ms = col.data<int64_t>()[row];
    int64_t bucket = floor_div(ms, parts_[i].granularity_ms);
    same = same && bucket == cached_key_[i];
    cached_key_[i] = bucket;
    timestamps_[i] = ms;
  }
  if (!same) {
    cached_name_.clear();
    pattern_.render(timestamps_.data(), cached_name_);
    cache_valid_ = true;
  }
  return std::string_view(cached_name_);
}

}  // namespace pipec
