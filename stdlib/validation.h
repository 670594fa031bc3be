// Compile-time checks the binder runs on constant arguments, so that a typo in
// a pattern is a diagnostic at `pipec check` time instead of a column of NULLs
// in production. At run time the same inputs make the function return NULL.
// Each returns true when valid, else false with a short reason in *error
// (error may be null).
#pragma once

#include <string>
#include <string_view>

namespace pipec {

// RE2 syntax, as used by regexp_match / regexp_extract / regexp_replace.
bool stdlib_validate_regex(std::string_view pattern, std::string* error);

// The pattern language of to_timestamp(s, format) and format_timestamp.
bool stdlib_validate_timestamp_format(std::string_view format, std::string* error);

// The unit argument of date_trunc (for_extract=false) or extract (true).
bool stdlib_validate_time_unit(std::string_view unit, bool for_extract, std::string* error);

// The JSONPath subset of json_value.
bool stdlib_validate_json_path(std::string_view path, std::string* error);

}  // namespace pipec
