// Differential test: compiled kernels against the reference kernel on
// thousands of generated expressions over generated data (NULLs, edge values,
// overflow, NaN, empty and long strings). Every output slot, validity bit,
// row status, row reason and counter must be identical.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <random>

#include "compiler/bind/binder.h"
#include "compiler/codegen/kernel_codegen.h"
#include "compiler/codegen/kernel_compiler.h"
#include "compiler/codegen/reference_kernel.h"
#include "compiler/diagnostics/render.h"
#include "compiler/lower/physical_plan.h"
#include "compiler/optimize/optimizer.h"
#include "compiler/syntax/parser.h"
#include "runtime/vector/vector.h"

using namespace pipec;

namespace {

const char* kColumns[][2] = {{"a", "BIGINT"}, {"b", "BIGINT"}, {"x", "DOUBLE"}, {"y", "DOUBLE"},
                             {"s", "STRING"}, {"t", "STRING"}, {"f", "BOOLEAN"}, {"ts", "TIMESTAMP"}};

// Generates well-typed SQL expressions of a requested type.
class ExprGen {
 public:
  explicit ExprGen(uint64_t seed) : rng_(seed) {}
  // Pipeline constraints see the SELECT outputs c0..c49 (c[k] has type k % 5).
  bool over_outputs = false;

  std::string gen(TypeId t, int depth) {
    if (depth <= 0 || pick(4) == 0) return leaf(t);
    switch (t) {
      case TypeId::BigInt: {
        switch (pick(9)) {
          case 0: return "(" + gen(t, depth - 1) + " + " + gen(t, depth - 1) + ")";
          case 1: return "(" + gen(t, depth - 1) + " - " + gen(t, depth - 1) + ")";
          case 2: return "(" + gen(t, depth - 1) + " * " + gen(t, depth - 1) + ")";
          case 3: return "(" + gen(t, depth - 1) + " % " + gen(t, depth - 1) + ")";
          case 4: return "(- " + gen(t, depth - 1) + ")";
          case 5: return "CASE WHEN " + gen(TypeId::Boolean, depth - 1) + " THEN " + gen(t, depth - 1) + " ELSE " + gen(t, depth - 1) + " END";
          case 6: return "CAST(" + gen(TypeId::Double, depth - 1) + " AS BIGINT)";
          case 7: return "length(" + gen(TypeId::String, depth - 1) + ")";
          default: return "CAST(" + gen(TypeId::String, depth - 1) + " AS BIGINT)";
        }
      }
      case TypeId::Double: {
        switch (pick(7)) {
          case 0: return "(" + gen(t, depth - 1) + " + " + gen(t, depth - 1) + ")";
          case 1: return "(" + gen(t, depth - 1) + " * " + gen(t, depth - 1) + ")";
          case 2: return "(" + gen(t, depth - 1) + " / " + gen(t, depth - 1) + ")";
          case 3: return "(" + gen(TypeId::BigInt, depth - 1) + " / " + gen(TypeId::BigInt, depth - 1) + ")";
          case 4: return "(" + gen(t, depth - 1) + " % " + gen(t, depth - 1) + ")";
          case 5: return "CAST(" + gen(TypeId::String, depth - 1) + " AS DOUBLE)";
          default: return "(" + gen(TypeId::BigInt, depth - 1) + " - " + gen(t, depth - 1) + ")";
        }
      }
      case TypeId::String: {
        switch (pick(5)) {
          case 0: return "(" + gen(t, depth - 1) + " || " + gen(t, depth - 1) + ")";
          case 1: return "lower(" + gen(t, depth - 1) + ")";
          case 2: return "CAST(" + gen(pick(2) ? TypeId::BigInt : TypeId::Double, depth - 1) + " AS STRING)";
          case 3: return "coalesce(" + gen(t, depth - 1) + ", " + gen(t, depth - 1) + ")";
          default: return "CASE WHEN " + gen(TypeId::Boolean, depth - 1) + " THEN " + gen(t, depth - 1) + " END";
        }
      }
      case TypeId::Boolean: {
        static const char* ops[] = {"=", "<>", "<", "<=", ">", ">="};
        switch (pick(9)) {
          case 0: return "(" + gen(t, depth - 1) + " AND " + gen(t, depth - 1) + ")";
          case 1: return "(" + gen(t, depth - 1) + " OR " + gen(t, depth - 1) + ")";
          case 2: return "(NOT " + gen(t, depth - 1) + ")";
          case 3: return "(" + gen(TypeId::BigInt, depth - 1) + " " + ops[pick(6)] + " " + gen(TypeId::BigInt, depth - 1) + ")";
          case 4: return "(" + gen(TypeId::Double, depth - 1) + " " + ops[pick(6)] + " " + gen(TypeId::Double, depth - 1) + ")";
          case 5: return "(" + gen(TypeId::String, depth - 1) + " " + ops[pick(6)] + " " + gen(TypeId::String, depth - 1) + ")";
          case 6: return "(" + gen(TypeId::BigInt, depth - 1) + (pick(2) ? " IS NULL)" : " IS NOT NULL)");
          case 7: return "(" + gen(t, depth - 1) + (pick(2) ? " IS TRUE)" : " IS NOT FALSE)");
          default: return "(" + gen(TypeId::BigInt, depth - 1) + " BETWEEN " + gen(TypeId::BigInt, depth - 1) + " AND " + gen(TypeId::BigInt, depth - 1) + ")";
        }
      }
      case TypeId::Timestamp:
        return pick(2) ? "(" + gen(t, depth - 1) + " + INTERVAL '" + std::to_string(pick(100)) + "' SECOND)" : leaf(t);
      default: return leaf(t);
    }
  }

 private:
  size_t pick(size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng_); }

  std::string leaf(TypeId t) {
    bool column = pick(3) != 0;
    switch (t) {
      case TypeId::BigInt: {
        if (column) return over_outputs ? (pick(2) ? "c0" : "c5") : pick(2) ? "a" : "b";
        static const char* lits[] = {"0", "1", "-1", "7", "9223372036854775807", "-9223372036854775807", "3", "CAST(NULL AS BIGINT)"};
        return lits[pick(8)];
      }
      case TypeId::Double: {
        if (column) return over_outputs ? (pick(2) ? "c1" : "c6") : pick(2) ? "x" : "y";
        static const char* lits[] = {"0.0", "1.5", "-2.25", "1e308", "0.1", "CAST(NULL AS DOUBLE)"};
        return lits[pick(6)];
      }
      case TypeId::String: {
        if (column) return over_outputs ? (pick(2) ? "c2" : "c7") : pick(2) ? "s" : "t";
        // Lengths 0-20: equality against constants of up to 16 bytes compiles to
        // integer loads, longer ones to memcmp.
        static const char* lits[] = {"''", "'a'", "'abc'", "'42'", "'x''y'", "' 7 '",
                                     "'cancelled'", "'abcdefghijklmnop'", "'2024-01-02T03:04:05Z'"};
        return lits[pick(9)];
      }
      case TypeId::Boolean: {
        if (column) return over_outputs ? "c3" : "f";
        static const char* lits[] = {"TRUE", "FALSE", "CAST(NULL AS BOOLEAN)"};
        return lits[pick(3)];
      }
      case TypeId::Timestamp: return over_outputs ? "c4" : "ts";
      default: return "NULL";
    }
  }

  std::mt19937_64 rng_;
};

// Column data with NULLs and edge values.
struct TestBatch {
  std::vector<Vector> columns;
  std::vector<std::string> strings;  // owns string bytes
};

TestBatch make_data(uint32_t rows, uint64_t seed) {
  std::mt19937_64 rng(seed);
  auto pick = [&](size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng); };
  TestBatch tb;
  tb.strings = {"", "a", "abc", "ABC", "42", " 7 ", "1e3", "é", std::string(300, 'z'), "2024-01-02T03:04:05Z", "true",
                "cancelled", "abcdefghijklmnop", "abcdefghijklmnoq"};
  const int64_t ints[] = {0, 1, -1, 2, 7, -7, 1000, std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max(), 3};
  const double dbls[] = {0.0, -0.0, 1.5, -2.5, 0.5, 2.5, std::nan(""), INFINITY, -INFINITY, 1e308, 3.0};
  for (auto& col : kColumns) {
    TypeId id = primitive_type_from_name(col[1])->id;
    Vector v(Type{id}.physical(), ((rows + 63) / 64) * 64);
    v.set_all_valid(rows);
    for (uint32_t i = 0; i < rows; ++i) {
      if (pick(5) == 0) {
        v.set_null(i);
        continue;
      }
      switch (id) {
        case TypeId::BigInt: v.data<int64_t>()[i] = pick(3) ? ints[pick(10)] : static_cast<int64_t>(pick(2000)) - 1000; break;
        case TypeId::Timestamp: v.data<int64_t>()[i] = 1700000000000LL + static_cast<int64_t>(pick(100000000)); break;
        case TypeId::Double: v.data<double>()[i] = pick(3) ? dbls[pick(11)] : (static_cast<double>(pick(20000)) - 10000) / 7; break;
        case TypeId::Boolean: v.data<uint8_t>()[i] = static_cast<uint8_t>(pick(2)); break;
        default: v.data<StringRef>()[i] = StringRef::of(tb.strings[pick(tb.strings.size())]); break;
      }
    }
    tb.columns.push_back(std::move(v));
  }
  return tb;
}

struct RunResult {
  std::vector<Vector> outputs;
  std::vector<uint8_t> status;
  std::vector<uint16_t> reason;
  std::vector<uint64_t> violations, checked;
  int64_t fail_row = -1;
  StringArena arena;
};

void run(const CompiledKernel& k, TestBatch& data, uint32_t rows, bool native, RunResult& r) {
  uint32_t cap = ((rows + 63) / 64) * 64;
  std::vector<PipecKernelColumn> in;
  for (auto& c : data.columns) in.push_back({c.raw_data(), c.validity()});
  // Kernel inputs are the plan's (pruned) source columns: map by name.
  std::vector<PipecKernelColumn> inputs;
  for (const auto& pc : k.spec.inputs) {
    for (size_t i = 0; i < std::size(kColumns); ++i)
      if (pc.name == kColumns[i][0]) inputs.push_back(in[i]);
  }
  REQUIRE(inputs.size() == k.spec.inputs.size());
  std::vector<PipecKernelColumn> outs;
  for (const auto& oc : k.spec.outputs) {
    r.outputs.emplace_back(oc.type->physical(), cap);
    r.outputs.back().set_all_null();
  }
  for (auto& v : r.outputs) outs.push_back({v.raw_data(), v.validity()});
  r.status.assign(cap, 0);
  r.reason.assign(cap, 0);
  r.violations.assign(k.spec.constraints.size() + 1, 0);
  r.checked.assign(k.spec.constraints.size() + 1, 0);
  FunctionContext ctx;
  ctx.arena = &r.arena;
  PipecKernelArgs args{rows, 0, inputs.data(), k.spec.projects ? outs.data() : inputs.data(), r.status.data(),
                       r.reason.data(), r.violations.data(), r.checked.data(), &ctx, -1};
  if (native) k.native(&args);
  else run_reference_kernel(k.spec, &args);
  r.fail_row = args.fail_row;
}

std::string pipeline_text(ExprGen& g, int exprs) {
  std::string cols;
  for (auto& c : kColumns) cols += std::string(cols.empty() ? "" : ", ") + c[0] + " " + c[1];
  std::string select;
  static const TypeId types[] = {TypeId::BigInt, TypeId::Double, TypeId::String, TypeId::Boolean, TypeId::Timestamp};
  for (int i = 0; i < exprs; ++i)
    select += std::string(i ? ", " : "") + g.gen(types[i % 5], 4) + " AS c" + std::to_string(i);
  std::string where = g.gen(TypeId::Boolean, 3);
  g.over_outputs = true;
  std::string warn = g.gen(TypeId::Boolean, 3), drop = g.gen(TypeId::Boolean, 2), dlq = g.gen(TypeId::Boolean, 2);
  g.over_outputs = false;
  return "CREATE SOURCE src (" + cols + ") WITH (connector = 'file', path = 'x');\n"
         "CREATE SINK out WITH (connector = 'stdout');\n"
         "CREATE PIPELINE p AS INSERT INTO out SELECT " + select + " FROM src WHERE " + where +
         " CONSTRAINT warn_k EXPECT (" + warn + ") ON VIOLATION WARN" +
         " CONSTRAINT drop_k EXPECT (" + drop + ") ON VIOLATION DROP ROW" +
         " CONSTRAINT dlq_k EXPECT (" + dlq + ") ON VIOLATION DEAD LETTER;\n";
}

struct CompareCounts {
  int exprs = 0, rows = 0;
  int narrowing_kernels = 0;  // a later constraint checked fewer rows than the first (DROP ROW removed some)
};

// Compiles every kernel of `text` and runs it natively and through the
// reference kernel on generated data: same statuses, counts and outputs.
void compare_kernels(const std::string& text, bool fold_constants, uint64_t data_seed, CompareCounts& counts) {
  const uint32_t rows = 300;
  SourceManager sm;
  DiagnosticEngine diags(sm);
  auto script = parse_text("gen.pipe", text, sm, diags);
  auto bound = bind_script(script, diags);
  INFO(text);
  INFO(render_text(diags));
  REQUIRE_FALSE(diags.has_errors());
  auto plans = build_logical_plans(bound);
  REQUIRE(plans.size() == 1);
  OptimizerOptions opts;
  if (!fold_constants) opts.disabled.insert("constant_folding");  // let the JIT see constant subtrees too
  optimize(plans[0], opts);
  auto physical = lower_to_physical(plans[0]);
  KernelCompileOptions ko;
  auto compiled = compile_kernels(physical, ko);
  REQUIRE(compiled.error.empty());
  for (const auto& k : compiled.kernels) {
    INFO(k.interpreted_because);
    REQUIRE(bool(k.native));
    TestBatch data = make_data(rows, data_seed);
    RunResult jit, ref;
    run(k, data, rows, true, jit);
    run(k, data, rows, false, ref);
    CHECK(jit.status == ref.status);
    CHECK(jit.reason == ref.reason);
    CHECK(jit.violations == ref.violations);
    CHECK(jit.checked == ref.checked);
    size_t slots = k.spec.constraints.size();
    if (slots > 1 && ref.checked[slots - 1] < ref.checked[0]) ++counts.narrowing_kernels;
    CHECK(jit.fail_row == ref.fail_row);
    for (size_t c = 0; c < k.spec.outputs.size() && k.spec.projects; ++c) {
      PipecKernelColumn jc{jit.outputs[c].raw_data(), jit.outputs[c].validity()};
      PipecKernelColumn rc{ref.outputs[c].raw_data(), ref.outputs[c].validity()};
      for (uint32_t i = 0; i < rows; ++i) {
        if (ref.status[i] != 0) continue;
        Value a = read_slot(jc, *k.spec.outputs[c].type, i);
        Value b = read_slot(rc, *k.spec.outputs[c].type, i);
        if (!a.identical(b)) {
          FAIL_CHECK("column " << k.spec.outputs[c].name << " row " << i << ": jit " << a.to_sql() << " vs reference "
                               << b.to_sql());
          break;
        }
        ++counts.rows;
      }
      ++counts.exprs;
    }
  }
}

}  // namespace

TEST_CASE("compiled kernels match the reference kernel on generated expressions and data") {
  ExprGen gen(20261123);
  CompareCounts counts;
  int pipelines = 0;
  for (int round = 0; round < 40; ++round) {
    compare_kernels(pipeline_text(gen, 50), round % 2 == 0, 1000 + round, counts);
    ++pipelines;
  }
  const int compared_exprs = counts.exprs, compared_rows = counts.rows, narrowing_kernels = counts.narrowing_kernels;
  MESSAGE("compared " << compared_exprs << " expressions over " << compared_rows << " live values in " << pipelines
                      << " pipelines");
  CHECK(compared_exprs >= 2000);
  CHECK(narrowing_kernels > 10);
}

TEST_CASE("explain IR names the kernel and is valid after optimization") {
  SourceManager sm;
  DiagnosticEngine diags(sm);
  auto script = parse_text("ir.pipe",
                           "CREATE SOURCE src (a BIGINT, s STRING) WITH (connector = 'file', path = 'x');\n"
                           "CREATE SINK out WITH (connector = 'stdout');\n"
                           "CREATE PIPELINE p AS INSERT INTO out SELECT a + 1 AS b, upper(s) AS u FROM src WHERE a > 0;",
                           sm, diags);
  auto bound = bind_script(script, diags);
  REQUIRE_FALSE(diags.has_errors());
  auto plans = build_logical_plans(bound);
  optimize(plans[0]);
  auto physical = lower_to_physical(plans[0]);
  auto spec = describe_kernel(physical.stages[1], "pipec_kernel_0");
  std::string raw = kernel_ir(spec, false);
  std::string opt = kernel_ir(spec, true);
  CHECK(raw.find("define void @pipec_kernel_0(ptr") != std::string::npos);
  CHECK(raw.find("llvm.sadd.with.overflow.i64") != std::string::npos);
  CHECK(raw.find("pipec_fn_upper_0") != std::string::npos);
  CHECK(opt.find("define void @pipec_kernel_0") != std::string::npos);
}

TEST_CASE("string = and <> against constants of every width match the reference kernel") {
  // Up to 16 bytes the comparison is an integer load per side, beyond that
  // memcmp; the data holds near misses ("abcdefghijklmnoq") of the constants.
  std::string select;
  int n = 0;
  for (const char* lit : {"''", "'a'", "'42'", "'abc'", "'cancelled'", "'abcdefghijklmnop'", "'abcdefghijklmno'",
                          "'2024-01-02T03:04:05Z'", "'2024-01-02T03:04:05X'"}) {
    for (const char* cmp : {"s = ", "s <> ", "t = "}) {
      select += std::string(n ? ", " : "") + cmp + lit + " AS c" + std::to_string(n);
      ++n;
    }
  }
  std::string cols;
  for (auto& c : kColumns) cols += std::string(cols.empty() ? "" : ", ") + c[0] + " " + c[1];
  std::string text = "CREATE SOURCE src (" + cols + ") WITH (connector = 'file', path = 'x');\n"
                     "CREATE SINK out WITH (connector = 'stdout');\n"
                     "CREATE PIPELINE p AS INSERT INTO out SELECT " + select + " FROM src WHERE s <> 'cancelled';\n";
  CompareCounts counts;
  compare_kernels(text, true, 7, counts);
  CHECK(counts.exprs == n);
  CHECK(counts.rows > 0);
}
