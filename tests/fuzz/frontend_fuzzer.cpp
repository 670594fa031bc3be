// libFuzzer target for the whole front end `pipec check` runs: arbitrary
// bytes -> parse -> bind -> lints -> shared-sink check -> contract diff (of
// the input against itself, and of its first half against the whole) ->
// constant folding of every expression -> mappings -> every renderer. Must never crash, hang, leak or trip a
// sanitizer. Build and run with tests/fuzz/run.sh.
#include <cstddef>
#include <cstdint>
#include <string>

#include "compiler/bind/binder.h"
#include "compiler/check/contract.h"
#include "compiler/check/lint.h"
#include "compiler/check/check_util.h"
#include "compiler/check/mapping.h"
#include "compiler/diagnostics/render.h"
#include "compiler/optimize/optimizer.h"
#include "compiler/syntax/parser.h"

namespace {

struct Compiled {
  pipec::ast::Script ast;
  pipec::BoundScript bound;
};

Compiled compile(const std::string& name, std::string text, pipec::SourceManager& sm, pipec::DiagnosticEngine& diags) {
  Compiled c;
  c.ast = pipec::parse_text(name, std::move(text), sm, diags);
  c.bound = pipec::bind_script(c.ast, diags);
  return c;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace pipec;
  std::string text(reinterpret_cast<const char*>(data), size);

  SourceManager sources;
  DiagnosticEngine diags(sources);
  // The name sits in a directory that does not exist: IMPORTs resolve to
  // missing files and report FileNotFound instead of reading this machine.
  Compiled current = compile("/nonexistent-pipec-fuzz/input.pipe", text, sources, diags);
  run_lints(current.bound, diags);
  check_shared_sinks(current.bound, diags);

  // Contract: the script against a prefix of itself (removals, additions and
  // changes all occur) with a separate engine for the baseline, as pipec check does.
  DiagnosticEngine baseline_diags(sources);
  Compiled baseline = compile("/nonexistent-pipec-fuzz/baseline.pipe", text.substr(0, text.size() / 2), sources,
                              baseline_diags);
  ContractOptions options;
  options.removal_span = Span::at(0, 0, 0);
  options.baseline_spans_valid = true;
  check_contract(baseline.bound, current.bound, diags, options);
  check_contract(current.bound, current.bound, diags);

  // Constant folding (the reference evaluator over constants) of every
  // expression the binder produced: the constant-constraint lint folds
  // constraints only, the planner folds everything.
  check::for_each_root_expression(current.bound, [](const BoundExpr& e, const char*) {
    (void)fold_expression(std::make_shared<BoundExpr>(e));
  });
  for (const auto& p : current.bound.pipelines) (void)index_mapping_json(*p);
  for (const auto& s : current.bound.sinks) {
    std::vector<MappedField> fields;
    std::string error;
    if (sink_fields(current.bound, *s, &fields, &error)) (void)index_mapping_json(fields);
  }

  diags.sort();
  (void)render_text(diags, {true});
  (void)render_text(diags, {false});
  (void)render_json(diags);
  (void)render_sarif(diags, "fuzz");
  (void)render_text(baseline_diags, {false});
  return 0;
}
