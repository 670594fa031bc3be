// A small streaming JSON writer for tool output (explain, SARIF, diagnostics,
// mappings, summaries). Not the hot-path _bulk encoder (runtime/encode).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace pipec {

// Appends s as a JSON string literal (with quotes) to out. Invalid UTF-8 bytes
// are replaced by U+FFFD so the output is always valid JSON.
void append_json_string(std::string& out, std::string_view s);

class JsonWriter {
 public:
  explicit JsonWriter(bool pretty = true) : pretty_(pretty) {}

  JsonWriter& begin_object();
  JsonWriter& end_object();
  JsonWriter& begin_array();
  JsonWriter& end_array();
  JsonWriter& key(std::string_view k);
  JsonWriter& value(std::string_view s);
  JsonWriter& value(const char* s) { return value(std::string_view(s)); }
  JsonWriter& value(const std::string& s) { return value(std::string_view(s)); }
  JsonWriter& value(int64_t v);
  JsonWriter& value(int v) { return value(static_cast<int64_t>(v)); }
  JsonWriter& value(uint64_t v);
  JsonWriter& value(uint32_t v) { return value(static_cast<uint64_t>(v)); }
  JsonWriter& value(double v);
  JsonWriter& value(bool v);
  JsonWriter& null();
  // Inserts already-serialized JSON.
  JsonWriter& raw(std::string_view json);

  template <typename T>
  JsonWriter& field(std::string_view k, const T& v) { key(k); return value(v); }

  const std::string& str() const { return out_; }
  std::string take() { return std::move(out_); }

 private:
  void before_value();
  void newline();
  bool pretty_;
  std::string out_;
  struct Level { bool first = true; };
  std::vector<Level> stack_;
  bool after_key_ = false;
};

}  // namespace pipec
