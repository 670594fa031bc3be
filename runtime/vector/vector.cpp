#include "runtime/vector/vector.h"

#include <bit>
#include <cstring>

namespace pipec {

size_t physical_size(PhysicalType type) {
  switch (type) {
    case PhysicalType::Bool: return sizeof(uint8_t);
    case PhysicalType::Int64: return sizeof(int64_t);
    case PhysicalType::Float64: return sizeof(double);
    case PhysicalType::String: return sizeof(StringRef);
  }
  return 8;
}

Vector::Vector(PhysicalType type, uint32_t capacity)
    : type_(type), capacity_((capacity + 63) / 64 * 64) {
  if (capacity_ == 0) capacity_ = 64;
  size_t bytes = physical_size(type) * capacity_;
  values_.reset(::operator new(bytes, std::align_val_t{kAlignment}));
  // Zero-filled values are the well-formed "NULL" contents for every type,
  // except StringRef where a null data pointer is replaced by kEmptyStringRef.
  std::memset(values_.get(), 0, bytes);
  if (type == PhysicalType::String) {
    auto* s = static_cast<StringRef*>(values_.get());
    for (uint32_t i = 0; i < capacity_; ++i) s[i] = kEmptyStringRef;
  }
  validity_.reset(new uint64_t[capacity_ / 64]());
}

void Vector::set_all_valid(uint32_t n) {
  assert(n <= capacity_);
  uint32_t full = n / 64;
  for (uint32_t w = 0; w < full; ++w) validity_[w] = ~uint64_t{0};
  uint32_t w = full;
  if (n % 64) validity_[w++] = (uint64_t{1} << (n % 64)) - 1;
  for (; w < capacity_ / 64; ++w) validity_[w] = 0;
}

void Vector::set_all_null() { std::memset(validity_.get(), 0, capacity_ / 8); }

void Vector::set_null(uint32_t i) {
  set_valid(i, false);
  switch (type_) {
    case PhysicalType::Bool: data<uint8_t>()[i] = 0; break;
    case PhysicalType::Int64: data<int64_t>()[i] = 0; break;
    case PhysicalType::Float64: data<double>()[i] = 0.0; break;
    case PhysicalType::String: data<StringRef>()[i] = kEmptyStringRef; break;
  }
}

uint32_t Vector::count_valid(uint32_t n) const {
  uint32_t count = 0;
  for (uint32_t w = 0; w < n / 64; ++w) count += std::popcount(validity_[w]);
  if (n % 64) count += std::popcount(validity_[n / 64] & ((uint64_t{1} << (n % 64)) - 1));
  return count;
}

}  // namespace pipec
