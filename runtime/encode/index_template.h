// Elasticsearch index names that may depend on a row's timestamp, e.g.
//   orders                  a fixed index
//   orders-{ts|yyyy.MM.dd}  one index per day of the TIMESTAMP column `ts`
//
// A placeholder is {field|pattern}; the pattern's tokens are yyyy, MM, dd,
// HH, mm, ss (UTC) and every non-letter is literal. The template is parsed
// and checked once; rendering a row is a few digit writes (cached per bucket).
// Literal text must obey Elasticsearch's index-name rules (lowercase, none of
// \ / * ? " < > | , # or space, not starting with - _ +).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

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
  // Throws std::invalid_argument with a message naming the problem.
  static IndexTemplate parse(std::string_view text, const Resolver& resolve);
  // A fixed index name (validated like a template without placeholders).
  static IndexTemplate fixed(std::string_view name);

  const std::string& text() const { return text_; }
  bool is_static() const { return fields_.empty(); }

  // The index name of `row`, valid until the next render(). nullopt, with
  // *error set, when a referenced timestamp is NULL: the row cannot be routed
  // and is to be dead-lettered by the caller. Names need no JSON escaping.
  std::optional<std::string_view> render(const Batch& batch, uint32_t row,
                                         std::string* error) const;

 private:
  enum class Token : uint8_t { Literal, Year, Month, Day, Hour, Minute, Second };
  struct Part {
    Token token;
    std::string literal;  // Literal only
    uint32_t field;       // index into fields_ otherwise
  };
  struct Field {
    std::string name;
    uint32_t column;
    int64_t granularity_ms;  // finest unit its tokens use; the cache key
  };
  std::string text_;
  std::vector<Part> parts_;
  std::vector<Field> fields_;

  // Last rendered name and the per-field buckets it was rendered for.
  mutable std::vector<int64_t> cached_key_;
  mutable std::string cached_name_;
  mutable bool cache_valid_ = false;
};

}  // namespace pipec
