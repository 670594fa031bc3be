// The byte encoding of operator state in checkpoints (runtime/state): fixed
// little-endian integers, length-prefixed strings and Values. The reader
// never trusts a length: reading past the end throws StateFormatError, so a
// checkpoint that passed its checksum but does not match what the operator
// expects is reported, not a crash.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

#include "runtime/common/value.h"

namespace pipec {

struct StateFormatError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class StateWriter {
 public:
  void u8(uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void u32(uint32_t v) { fixed(v, 4); }
  void u64(uint64_t v) { fixed(v, 8); }
  void i64(int64_t v) { fixed(static_cast<uint64_t>(v), 8); }
  void f64(double v);
  void str(std::string_view s);
  void value(const Value& v);

  const std::string& bytes() const { return out_; }
  std::string take() { return std::move(out_); }

 private:
  void fixed(uint64_t v, int n);
  std::string out_;
};

class StateReader {
 public:
  explicit StateReader(std::string_view in) : in_(in) {}
  uint8_t u8();
  uint32_t u32() { return static_cast<uint32_t>(fixed(4)); }
  uint64_t u64() { return fixed(8); }
  int64_t i64() { return static_cast<int64_t>(fixed(8)); }
  double f64();
  std::string str();
  Value value();
  // A count of items that are each at least `min_item_bytes` long: bounded by
  // what is left, so a damaged count cannot make the caller allocate wildly.
  uint64_t count(size_t min_item_bytes = 1);

  bool done() const { return pos_ == in_.size(); }
  size_t remaining() const { return in_.size() - pos_; }

 private:
  uint64_t fixed(int n);
  std::string_view take(size_t n);
  std::string_view in_;
  size_t pos_ = 0;
};

}  // namespace pipec
