// Column slot <-> Value conversions: the bridge between columnar batches and
// the reference expression semantics (compiler/plan/expression_evaluator.h),
// which work on one Value at a time.
#pragma once

#include <cstdint>
#include <string>

#include "runtime/common/value.h"
#include "runtime/vector/string_arena.h"
#include "runtime/vector/vector.h"

namespace pipec {

// Row `row` of `column` as a Value of logical type `type` (NULL when the
// validity bit is clear). Strings are copied out of the batch.
Value read_value(const Vector& column, const Type& type, uint32_t row);

// Writes `v` into row `row` of `column` (a NULL clears the validity bit and
// stores the zero value). String bytes are copied into `arena`.
void write_value(Vector& column, uint32_t row, const Value& v, StringArena& arena);

// Copies one slot (value and validity) between columns of the same physical
// type without going through Value. Strings keep pointing at the same bytes,
// so the source's arena or input chunk must outlive the target's use.
void copy_slot(const Vector& from, uint32_t from_row, Vector& to, uint32_t to_row);

// Appends a self-delimiting binary encoding of `v` to `key`, for hash keys of
// dedup state and lookup tables: equal values (same type) give equal bytes,
// NULL differs from every value, -0.0 equals 0.0 and all NaNs are equal.
void append_key(std::string& key, const Value& v);

}  // namespace pipec
