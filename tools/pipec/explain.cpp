// pipec explain FILE [--logical|--physical] [--format text|json|dot] [--disable-pass NAME]...
#include <fmt/format.h>

#include "compiler/bind/binder.h"
#include "compiler/codegen/kernel_codegen.h"
#include "compiler/diagnostics/render.h"
#include "compiler/explain/explain.h"
#include "compiler/syntax/parser.h"
#include "tools/pipec/cli.h"

namespace pipec::cli {

namespace {

int explain_command(Args args) {
  std::string format = "text";
  take_option(args, "--format", &format);
  // --ir prints each kernel's LLVM IR after the JIT's optimization pipeline;
  // --ir-unoptimized prints it as generated.
  bool ir = take_flag(args, "--ir");
  bool ir_raw = take_flag(args, "--ir-unoptimized");
  ExplainLevel level = ExplainLevel::Both;
  if (take_flag(args, "--logical")) level = ExplainLevel::Logical;
  if (take_flag(args, "--physical")) level = ExplainLevel::Physical;
  OptimizerOptions options;
  std::string pass;
  while (take_option(args, "--disable-pass", &pass)) {
    bool known = false;
    for (const auto& p : all_optimizer_passes()) known |= pass == p.name;
    if (!known) return usage_error("unknown optimizer pass '" + pass + "'");
    options.disabled.insert(pass);
  }
  if (args.size() != 1) return usage_error("explain takes exactly one FILE");
  ExplainFormat f = format == "json" ? ExplainFormat::Json : format == "dot" ? ExplainFormat::Dot : ExplainFormat::Text;
  if (format != "json" && format != "dot" && format != "text") return usage_error("--format must be text, json or dot");

  SourceManager sources;
  DiagnosticEngine diags(sources);
  ast::Script script = parse_file(args[0], sources, diags);
  BoundScript bound = bind_script(script, diags);
  if (diags.has_errors()) {
    diags.sort();
    fmt::print(stderr, "{}", render_text(diags, {stdout_is_terminal()}));
    bool io = !diags.diagnostics().empty() && diags.diagnostics()[0].kind == DiagKind::FileNotFound;
    return io ? 2 : 1;
  }
  std::vector<LogicalPipeline> plans = build_logical_plans(bound);
  std::vector<ExplainedPipeline> explained;
  for (auto& p : plans) explained.push_back({&p, {}, optimize(p, options)});
  for (auto& e : explained) e.physical = lower_to_physical(*e.logical);
  if (ir || ir_raw) {
    for (const auto& e : explained) {
      for (const auto& stage : e.physical.stages) {
        if (stage.kind != PhysicalStage::Kind::Kernel) continue;
        KernelSpec spec = describe_kernel(stage, "pipec_kernel_" + std::to_string(stage.kernel_id));
        fmt::print("; pipeline {} kernel {}\n", e.logical->name, stage.kernel_id);
        std::string why = why_not_compilable(spec);
        if (!why.empty()) {
          fmt::print("; interpreted: {}\n\n", why);
          continue;
        }
        fmt::print("{}\n", kernel_ir(spec, !ir_raw));
      }
    }
    return 0;
  }
  fmt::print("{}", render_explain(explained, f, level));
  return 0;
}

const bool registered = register_command("explain", &explain_command);

}  // namespace
}  // namespace pipec::cli
