#include "compiler/codegen/reference_kernel.h"

#include "compiler/plan/expression_evaluator.h"

namespace pipec {

Value read_slot(const PipecKernelColumn& column, const Type& type, uint32_t row) {
  if (!((column.validity[row >> 6] >> (row & 63)) & 1)) return Value::null(type.id);
  switch (type.physical()) {
    case PhysicalType::Bool: return Value::boolean(static_cast<const uint8_t*>(column.values)[row] != 0);
    case PhysicalType::Int64: {
      Value v = Value::bigint(static_cast<const int64_t*>(column.values)[row]);
      v.type = type.id == TypeId::Null ? TypeId::BigInt : type.id;
      return v;
    }
    case PhysicalType::Float64: return Value::float64(static_cast<const double*>(column.values)[row]);
    case PhysicalType::String: {
      StringRef s = static_cast<const StringRef*>(column.values)[row];
      return Value::string(std::string(s.view()), type.id);
    }
  }
  return Value::null(type.id);
}

void write_slot(PipecKernelColumn& column, const Type& type, uint32_t row, const Value& v, FunctionContext& ctx) {
  uint64_t mask = uint64_t{1} << (row & 63);
  if (v.is_null) {
    column.validity[row >> 6] &= ~mask;
  } else {
    column.validity[row >> 6] |= mask;
  }
  switch (type.physical()) {
    case PhysicalType::Bool: static_cast<uint8_t*>(column.values)[row] = v.is_null ? 0 : v.b; break;
    case PhysicalType::Int64: static_cast<int64_t*>(column.values)[row] = v.is_null ? 0 : v.i; break;
    case PhysicalType::Float64: static_cast<double*>(column.values)[row] = v.is_null ? 0 : v.d; break;
    case PhysicalType::String:
      static_cast<StringRef*>(column.values)[row] = v.is_null ? kEmptyStringRef : ctx.copy(v.s);
      break;
  }
}

void run_reference_kernel(const KernelSpec& spec, PipecKernelArgs* args) {
  FunctionContext& ctx = *args->ctx;
  std::vector<Value> row;
  for (uint32_t i = 0; i < args->rows; ++i) {
    if (args->row_status[i] != 0) continue;
    row.clear();
    for (size_t k = 0; k < spec.inputs.size(); ++k) row.push_back(read_slot(args->inputs[k], *spec.inputs[k].type, i));
    int slot = 0;
    bool live = true;
    for (const auto* op : spec.operators) {
      if (!live) break;
      switch (op->type) {
        case LogicalOperatorType::Constraint:
          for (const auto& c : op->as<LogicalConstraint>().constraints) {
            int this_slot = slot++;
            if (!live) continue;
            ++args->checked[this_slot];
            Value r = evaluate(*c.expr, row, ctx);
            if (r.is_null || r.b) continue;  // NULL passes (SQL CHECK)
            ++args->violations[this_slot];
            if (c.action == ViolationAction::Warn) continue;
            args->row_status[i] = c.action == ViolationAction::DropRow ? 1 : 2;
            args->row_reason[i] = static_cast<uint16_t>(this_slot);
            if (c.action == ViolationAction::FailPipeline && args->fail_row < 0) args->fail_row = i;
            live = false;
          }
          break;
        case LogicalOperatorType::Filter: {
          Value r = evaluate(*op->as<LogicalFilter>().predicate, row, ctx);
          if (r.is_null || !r.b) {
            args->row_status[i] = 1;
            args->row_reason[i] = kFilteredByPredicate;
            live = false;
          }
          break;
        }
        case LogicalOperatorType::Project: {
          const auto& p = op->as<LogicalProject>();
          std::vector<Value> out;
          for (size_t k = 0; k < p.exprs.size(); ++k) {
            Value v = evaluate(*p.exprs[k], row, ctx);
            write_slot(args->outputs[k], *p.exprs[k]->type, i, v, ctx);
            out.push_back(std::move(v));
          }
          row = std::move(out);
          break;
        }
        default: break;
      }
    }
  }
}

}  // namespace pipec
