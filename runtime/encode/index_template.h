// Per-row Elasticsearch index names for the _bulk encoder, e.g.
//   orders                  a fixed index
//   orders-{ts|yyyy.MM.dd}  one index per day of the TIMESTAMP column `ts`
//
// The syntax and its validation are IndexPattern's (runtime/common), the same
// code the binder checks scripts with; this class binds a pattern to batch
// columns and renders it per row, reusing the last name while the row's
// timestamps stay in the same bucket (day, hour, minute or second, by the
// finest letter the pattern uses).
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/common/index_pattern.h"
#include "runtime/common/types.h"
#include "runtime/vector/batch.h"

namespace pipec {

class IndexTemplate {
 public:
  struct Column {
    uint32_t column;  // batch column index
    TypeId type;      // must be TIMESTAMP
  };
  // Maps a placeholder's field name to its batch column, or nullopt.
  using Resolver = std::function<std::optional<Column>(std::string_view name)>;

  IndexTemplate() = default;
  // Throws std::invalid_argument("index template '<text>': <why>").
  static IndexTemplate parse(std::string_view text, const Resolver& resolve);
  // A name without placeholders (validated the same way).
  static IndexTemplate fixed(std::string_view name);

  const std::string& text() const { return text_; }
  bool is_static() const { return parts_.empty(); }

  // Readable bytes after every name render() returns (copies of short names
  // may be of a fixed size).
  static constexpr size_t kNamePadding = 32;

  // The index name of `row`, valid until the next render() and followed by
  // kNamePadding readable bytes. nullopt, with *error set, when a referenced
  // timestamp is NULL: the row cannot be routed and is to be dead-lettered by
  // the caller. Names need no JSON escaping: parse() rejects '"', '\\' and
  // control characters. Inline: the _bulk encoder calls it per document, and
  // consecutive rows nearly always stay in the cached buckets (a range check
  // per date part, no division).
  std::optional<std::string_view> render(const Batch& batch, uint32_t row, std::string* error) const {
    bool same = true;
    for (size_t i = 0; i < parts_.size(); ++i) {
      const Vector& col = batch.columns[parts_[i].column];
      if (!col.is_valid(row)) return null_part(i, error);
      const int64_t ms = col.data<int64_t>()[row];
      timestamps_[i] = ms;
      same &= ms >= cached_buckets_[i].first && ms <= cached_buckets_[i].last;
    }
    if (!same) rerender();
    return std::string_view(cached_name_.data(), cached_length_);
  }

 private:
  // One entry per date part of the pattern, in pattern order.
  struct DatePart {
    std::string field;
    uint32_t column;
    int64_t granularity_ms;
  };
  std::string text_;
  IndexPattern pattern_;
  std::vector<DatePart> parts_;

  // Milliseconds [first, last] that a date part's text is constant over;
  // empty until a first render.
  struct Bucket {
    int64_t first = std::numeric_limits<int64_t>::max();
    int64_t last = std::numeric_limits<int64_t>::min();
  };
  static Bucket bucket_of(int64_t ms, int64_t granularity);
  std::nullopt_t null_part(size_t part, std::string* error) const;
  // Moves the buckets the row left and renders the name of timestamps_.
  void rerender() const;

  mutable std::vector<int64_t> timestamps_;
  mutable std::vector<Bucket> cached_buckets_;  // per part, of cached_name_
  mutable std::string cached_name_ = std::string(kNamePadding, '\0');  // the name, then the padding
  mutable size_t cached_length_ = 0;
};

}  // namespace pipec
