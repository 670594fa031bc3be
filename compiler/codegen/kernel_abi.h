// The one boundary between compiled code and the runtime: every fused kernel
// is `void kernel(PipecKernelArgs*)` over one batch. The reference evaluator
// (runtime/interpret) implements exactly the same contract, so either can
// run any kernel stage.
//
// For each row i < rows whose row_status[i] is 0 (live), the kernel runs its
// operators in order:
//   Constraint: per constraint slot c, the row counts in checked[c]; a FALSE
//               result counts violations[c] and, by action: WARN continues;
//               DROP ROW sets row_status 1; DEAD LETTER sets 2; FAIL
//               PIPELINE sets 2 and records the row in fail_row (first one
//               only). row_reason[i] = c.
//   Filter:     a predicate that is not TRUE sets row_status 1 and
//               row_reason[i] = kFilteredByPredicate.
//   Project:    writes outputs[k] (values + validity bit) for the row.
// Rows that leave keep don't-care output slots. String results are
// allocated in ctx->arena.
#pragma once

#include <cstdint>

namespace pipec {
class FunctionContext;
}

// row_reason of rows a Filter (WHERE / HAVING) removed, as opposed to a
// DROP ROW constraint (whose slot number is the reason).
inline constexpr uint16_t kFilteredByPredicate = 0xFFFF;

extern "C" {

struct PipecKernelColumn {
  void* values;        // physical slots: uint8_t, int64_t, double or StringRef
  uint64_t* validity;  // bit i of word i/64: row i is non-NULL
};

struct PipecKernelArgs {
  uint32_t rows;
  uint32_t reserved;
  const PipecKernelColumn* inputs;
  PipecKernelColumn* outputs;  // == inputs' columns when the kernel has no Project
  uint8_t* row_status;
  uint16_t* row_reason;
  uint64_t* violations;        // one per constraint slot
  uint64_t* checked;           // one per constraint slot: rows it evaluated
  pipec::FunctionContext* ctx;
  int64_t fail_row;            // -1 until a FAIL PIPELINE constraint fires
};

typedef void (*PipecKernelFn)(PipecKernelArgs*);

}  // extern "C"
