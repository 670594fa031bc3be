// Index names with per-document date patterns, Flink-style:
//   "orders-{ts|yyyy.MM.dd}"  ->  orders-2024.01.31 for a row whose ts falls that day (UTC)
// Parsed once (binder validates, encoder renders per row). Tokens inside the
// pattern: yyyy, MM, dd, HH, mm, ss; anything else is literal text.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pipec {

class IndexPattern {
 public:
  struct Part {
    enum class Kind { Literal, Date } kind = Kind::Literal;
    std::string text;     // literal text, or the date pattern
    std::string field;    // Date: the TIMESTAMP column
  };

  // nullopt (and *error set when given) for an invalid pattern.
  static std::optional<IndexPattern> parse(std::string_view text, std::string* error);

  bool is_constant() const { return fields_.empty(); }
  const std::vector<Part>& parts() const { return parts_; }
  // Distinct columns the pattern reads, in order of appearance.
  const std::vector<std::string>& fields() const { return fields_; }

  // Appends the index name for timestamps given per Date part, in parts order.
  void render(const int64_t* timestamps_ms, std::string& out) const;
  std::string constant_name() const;

 private:
  std::vector<Part> parts_;
  std::vector<std::string> fields_;
};

}  // namespace pipec
