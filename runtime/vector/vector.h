// One column of a batch: a contiguous, capacity-sized value buffer plus a
// validity bitmap, in the style of Velox's FlatVector.
//
// Layout contract (relied on by JIT-compiled kernels):
//  - values: `capacity()` slots of the physical C++ type, 64-byte aligned;
//    Bool = uint8_t (0/1), Int64 = int64_t, Float64 = double, String = StringRef.
//  - validity: capacity()/64 uint64_t words; bit (i % 64) of word (i / 64) is 1
//    when row i is valid (non-NULL). Row i's bit is LSB-first as in Arrow.
//  - capacity() is a multiple of 64, so kernels may process whole words
//    without a tail loop; rows at or beyond the batch size hold don't-care data.
//  - A NULL slot written by the decoder holds the zero value (0, 0.0, "" ), so
//    branch-free kernels that read it see a harmless value.
#pragma once

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>

#include "runtime/common/types.h"
#include "runtime/vector/string_ref.h"

namespace pipec {

// The C++ type stored for each physical type.
template <PhysicalType P> struct PhysicalCpp;
template <> struct PhysicalCpp<PhysicalType::Bool> { using type = uint8_t; };
template <> struct PhysicalCpp<PhysicalType::Int64> { using type = int64_t; };
template <> struct PhysicalCpp<PhysicalType::Float64> { using type = double; };
template <> struct PhysicalCpp<PhysicalType::String> { using type = StringRef; };

// The physical type a C++ slot type stands for (only the four above).
template <typename T> struct PhysicalTypeOf;
template <> struct PhysicalTypeOf<uint8_t> { static constexpr PhysicalType value = PhysicalType::Bool; };
template <> struct PhysicalTypeOf<int64_t> { static constexpr PhysicalType value = PhysicalType::Int64; };
template <> struct PhysicalTypeOf<double> { static constexpr PhysicalType value = PhysicalType::Float64; };
template <> struct PhysicalTypeOf<StringRef> { static constexpr PhysicalType value = PhysicalType::String; };

size_t physical_size(PhysicalType type);

class Vector {
 public:
  static constexpr size_t kAlignment = 64;

  Vector(PhysicalType type, uint32_t capacity);
  Vector(Vector&&) noexcept = default;
  Vector& operator=(Vector&&) noexcept = default;

  PhysicalType type() const { return type_; }
  uint32_t capacity() const { return capacity_; }

  template <typename T> T* data() {
    assert(PhysicalTypeOf<T>::value == type_);
    return static_cast<T*>(values_.get());
  }
  template <typename T> const T* data() const {
    assert(PhysicalTypeOf<T>::value == type_);
    return static_cast<const T*>(values_.get());
  }
  void* raw_data() { return values_.get(); }
  const void* raw_data() const { return values_.get(); }

  uint64_t* validity() { return validity_.get(); }
  const uint64_t* validity() const { return validity_.get(); }
  uint32_t validity_words() const { return capacity_ / 64; }

  bool is_valid(uint32_t i) const { return (validity_[i >> 6] >> (i & 63)) & 1; }
  void set_valid(uint32_t i, bool valid) {
    uint64_t bit = uint64_t{1} << (i & 63);
    validity_[i >> 6] = valid ? (validity_[i >> 6] | bit) : (validity_[i >> 6] & ~bit);
  }
  // Rows [0, n) become valid; the bits of rows >= n are cleared.
  void set_all_valid(uint32_t n);
  // Every row NULL.
  void set_all_null();
  // Row i becomes NULL and its slot holds the zero value.
  void set_null(uint32_t i);

  uint32_t count_valid(uint32_t n) const;

 private:
  struct AlignedFree {
    void operator()(void* p) const { ::operator delete(p, std::align_val_t{kAlignment}); }
  };
  PhysicalType type_;
  uint32_t capacity_;
  std::unique_ptr<void, AlignedFree> values_;
  std::unique_ptr<uint64_t[]> validity_;
};

}  // namespace pipec
