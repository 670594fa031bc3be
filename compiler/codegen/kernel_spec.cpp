#include "compiler/codegen/kernel_spec.h"

namespace pipec {

KernelSpec describe_kernel(const PhysicalStage& stage, const std::string& function_name) {
  KernelSpec spec;
  spec.function_name = function_name;
  spec.operators = stage.operators;
  spec.inputs = stage.operators.front()->child->schema;
  spec.outputs = stage.operators.back()->schema;
  for (const auto* op : stage.operators) {
    if (op->type == LogicalOperatorType::Project) spec.projects = true;
    if (op->type == LogicalOperatorType::Constraint) {
      const auto& c = op->as<LogicalConstraint>();
      for (const auto& info : c.constraints) spec.constraints.push_back({c.owner, &info});
    }
  }
  return spec;
}

std::string kernel_fingerprint(const KernelSpec& spec) {
  // The version names the code generator too: a cached object of an older
  // generator must not be loaded (2: inline string equality; 3: rows checked
  // per constraint slot in the ABI).
  std::string s = "kernel-abi-3|" + spec.function_name + "|in:";
  for (const auto& c : spec.inputs) s += c.type->to_string() + (c.nullable ? "?" : "!") + ",";
  for (const auto* op : spec.operators) {
    s += std::string("|") + operator_name(op->type) + ":";
    switch (op->type) {
      case LogicalOperatorType::Filter: s += to_sql(*op->as<LogicalFilter>().predicate); break;
      case LogicalOperatorType::Project:
        for (const auto& e : op->as<LogicalProject>().exprs) s += to_sql(*e) + "::" + e->type->to_string() + ";";
        break;
      case LogicalOperatorType::Constraint:
        for (const auto& c : op->as<LogicalConstraint>().constraints)
          s += to_sql(*c.expr) + "@" + ast::action_spelling(c.action) + ";";
        break;
      default: break;
    }
  }
  // Column references print by name; indices make the key exact.
  for (const auto* op : spec.operators) {
    auto add_cols = [&](const BoundExpr& e) {
      visit_expr(e, [&](const BoundExpr& n) {
        if (n.kind == BoundKind::Column) s += "#" + std::to_string(n.column);
        if (n.kind == BoundKind::Call) s += "@" + n.overload->symbol;
      });
    };
    if (op->type == LogicalOperatorType::Filter) add_cols(*op->as<LogicalFilter>().predicate);
    if (op->type == LogicalOperatorType::Project)
      for (const auto& e : op->as<LogicalProject>().exprs) add_cols(*e);
    if (op->type == LogicalOperatorType::Constraint)
      for (const auto& c : op->as<LogicalConstraint>().constraints) add_cols(*c.expr);
  }
  return s;
}

}  // namespace pipec
