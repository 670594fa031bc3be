#include "runtime/encode/index_template.h"

#include <limits>
#include <stdexcept>

#include "runtime/common/timestamp.h"

namespace pipec {

namespace {

[[noreturn]] void bad(std::string_view text, const std::string& why) {
  throw std::invalid_argument("index template '" + std::string(text) + "': " + why);
}


// The bucket a date pattern's name is constant over.
int64_t granularity_of(std::string_view date_pattern) {
  if (date_pattern.find('s') != std::string_view::npos) return kMillisPerSecond;
  if (date_pattern.find('m') != std::string_view::npos) return 60'000;
  if (date_pattern.find('H') != std::string_view::npos) return 3'600'000;
  return kMillisPerDay;
}

}  // namespace

// The bucket of `ms`, clipped to the int64 range (the first and last buckets
// are partial), so that no bound overflows.
IndexTemplate::Bucket IndexTemplate::bucket_of(int64_t ms, int64_t granularity) {
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min(), kMax = std::numeric_limits<int64_t>::max();
  int64_t offset = ms % granularity;  // floor modulo: instants before 1970 too
  if (offset < 0) offset += granularity;
  const int64_t rest = granularity - 1 - offset;
  return Bucket{ms < kMin + offset ? kMin : ms - offset, ms > kMax - rest ? kMax : ms + rest};
}

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
  if (t.parts_.empty()) {
    t.cached_name_ = t.text_ + std::string(kNamePadding, '\0');
    t.cached_length_ = t.text_.size();
  }
  t.pattern_ = std::move(*pattern);
  t.timestamps_.assign(t.parts_.size(), 0);
  t.cached_buckets_.assign(t.parts_.size(), Bucket{});
  return t;
}

IndexTemplate IndexTemplate::fixed(std::string_view name) {
  if (name.find('{') != std::string_view::npos) bad(name, "a fixed index name cannot contain '{'");
  return parse(name, [](std::string_view) { return std::nullopt; });
}

std::nullopt_t IndexTemplate::null_part(size_t part, std::string* error) const {
  *error = "index template field '" + parts_[part].field + "' is NULL";
  return std::nullopt;
}

void IndexTemplate::rerender() const {
  for (size_t i = 0; i < parts_.size(); ++i) {
    const int64_t ms = timestamps_[i];
    if (ms < cached_buckets_[i].first || ms > cached_buckets_[i].last)
      cached_buckets_[i] = bucket_of(ms, parts_[i].granularity_ms);
  }
  cached_name_.clear();
  pattern_.render(timestamps_.data(), cached_name_);
  cached_length_ = cached_name_.size();
  cached_name_.append(kNamePadding, '\0');
}

}  // namespace pipec
