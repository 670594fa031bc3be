// The options each connector accepts, as data: one table that the binder
// validates against, `pipec check` lints with, and docs/language.md lists.
// Adding an option = one row here.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/syntax/ast.h"

namespace pipec {

enum class OptionType { String, Integer, Boolean, Duration, Size, Enum, Path, Fraction };

struct OptionSpec {
  const char* connector;      // kafka, file, elasticsearch, stdout, pipeline
  ast::RelationKind kind;     // which declaration kind it applies to (pipeline: Source unused)
  bool for_pipeline;          // an option of CREATE PIPELINE ... WITH (...)
  const char* key;            // exact key, or a prefix ending in '.' ("properties.")
  OptionType type;
  bool required;
  const char* enum_values;    // "a|b|c" for Enum
  const char* description;
};

const std::vector<OptionSpec>& all_option_specs();
// Connectors valid for a declaration kind.
std::vector<std::string> connectors_for(ast::RelationKind kind);
const OptionSpec* find_option_spec(std::string_view connector, ast::RelationKind kind, bool for_pipeline,
                                   std::string_view key);
std::vector<std::string> option_keys(std::string_view connector, ast::RelationKind kind, bool for_pipeline);

// Value parsers shared by the binder and the runtime. Durations: "500ms",
// "10s", "5m", "1h", "2d" or a bare number of milliseconds. Sizes: "512kb",
// "10mb", "1gb" (powers of 1024) or a bare number of bytes.
std::optional<int64_t> parse_duration_ms(std::string_view text);
std::optional<int64_t> parse_size_bytes(std::string_view text);
// A fraction: "0.99", "1", "0" or a percentage "99.5%"; nullopt outside [0, 1].
std::optional<double> parse_fraction(std::string_view text);

// Keys whose values are credentials: a plain-text value is a lint.
bool is_secret_key(std::string_view key);

}  // namespace pipec
