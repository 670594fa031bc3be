// pipec run FILE [--set NAME.KEY=VALUE]... [--no-jit | --jit | --engine E]
//               [--summary-json PATH] [--no-progress] [--batch]
//
// Parses and binds FILE (diagnostics and exit 1 on errors), builds and
// optimizes the plan of every pipeline, and runs them all (each on its own
// thread) until their inputs end. A summary of each goes to stderr; with a
// terminal on stderr a progress line is shown while they run.
//
// Engines (--engine E):
//   interpreter  every operator row by row through the reference evaluator
//                (--no-jit selects it)
//   kernels      row-local operators fused into kernels, run by the
//                reference kernel (the JIT's oracle, without LLVM)
//   jit          the default: fused kernels compiled with LLVM ORC, cached on
//                disk; a kernel that cannot be compiled falls back to the
//                reference kernel
//
// --set NAME.KEY=VALUE overrides (or adds) option KEY of the source, table,
// sink or pipeline called NAME before binding, so the value is validated as
// if written in the file:
//   --set orders.path=data/today.ndjson      a source's input
//   --set es.index=orders-test               a sink's index
//   --set out.path=/tmp/out.ndjson           a file sink's output
//   --set quickstart.dead-letter.path=x.ndjson  a pipeline option
// Option keys may contain dots; NAME is everything before the first dot.
//
// Streaming: a kafka source runs until SIGINT/SIGTERM (or, with
// scan.stop.timestamp-millis, until every partition passed that time);
// offsets are committed about every second and on shutdown, only for records
// whose documents the sink acknowledged (or dead-lettered). Elasticsearch /
// OpenSearch sinks create their index from the pipeline's schema
// ('index.create') and read secret('X') options from the environment (a
// missing variable: exit 2). While the cluster is unreachable the sink's
// circuit breaker pauses the sources (logged on stderr, with the 'sink'
// counters in the summary); a stop then waits at most 10 s for it, and what
// was not acknowledged is read again on restart.
//
// --batch: every elasticsearch/opensearch sink loads a new versioned index
// behind its `index` (an alias) and swaps the alias only if the load
// validates (runtime/exec/batch_load.h, docs/batch-load.md); file/stdout
// sinks write as usual. Needs finite inputs; a failed validation exits 1.
//
// Operations (docs/operations.md): --metrics-addr HOST:PORT serves GET
// /metrics (Prometheus) and GET /health while the run lasts; --notify-url URL
// POSTs JSON (Slack-compatible `text`) when a pipeline fails or its sink
// stays unreachable for --notify-breaker-after SECONDS (default 60), and with
// --notify-on-success when the run ends ok. Every run has a run id (a UUID)
// shown in the summary, the metrics and the notifications.
//
// Backfill (docs/operations.md): --from T --to T (ISO-8601 or epoch ms) runs
// over the events of [T_from, T_to) only: Kafka sources start at the first
// record timestamped >= T_from and stop at T_to, in the consumer group
// "<group>.backfill.<from>-<to>" (unless --set names one), so the live group's
// offsets are never touched; file rows are selected by their event time
// (WATERMARK column), the others counted as skipped. Combines with --batch.
//
// Checkpoints (docs/state-and-checkpoints.md): a streaming pipeline with
// 'checkpoint.dir' restores its window/dedup state from the newest valid
// checkpoint on start; --reset-state ignores them (and says so).
//
// Exit codes: 0 ok; 1 compile errors, a FAIL PIPELINE constraint or another
// failed run; 2 usage or I/O errors (unreadable input, unwritable output);
// 128 + signal after SIGINT/SIGTERM (130/143), once sinks are flushed.
#include <sched.h>
#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <unistd.h>
#include <fstream>
#include <memory>
#include <optional>
#include <thread>

#include <fmt/format.h>

#include "compiler/bind/binder.h"
#include "compiler/codegen/kernel_compiler.h"
#include "compiler/lower/physical_plan.h"
#include "compiler/diagnostics/render.h"
#include "compiler/optimize/optimizer.h"
#include "compiler/plan/logical_plan.h"
#include "compiler/syntax/parser.h"
#include "runtime/common/json_writer.h"
#include "runtime/common/thread_name.h"
#include "runtime/common/timestamp.h"
#include "runtime/exec/batch_load.h"
#include "runtime/exec/operator_chain.h"
#include "runtime/exec/pipeline_runner.h"
#include "runtime/exec/progress.h"
#include "runtime/exec/run_summary.h"
#include "runtime/exec/shutdown.h"
#include "runtime/observe/run_observer.h"
#include "runtime/sinks/file_writer.h"
#include "tools/pipec/cli.h"

namespace pipec::cli {

namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

struct Override {
  std::string object;
  std::string key;
  std::string value;
};

// "orders.path=x" -> {orders, path, x}
bool parse_override(const std::string& text, Override* out, std::string* error) {
  size_t eq = text.find('=');
  size_t dot = text.find('.');
  if (eq == std::string::npos || dot == std::string::npos || dot > eq || dot == 0 || dot + 1 == eq) {
    *error = "--set expects NAME.KEY=VALUE (e.g. --set orders.path=data.ndjson), got '" + text + "'";
    return false;
  }
  out->object = text.substr(0, dot);
  out->key = text.substr(dot + 1, eq - dot - 1);
  out->value = text.substr(eq + 1);
  return true;
}

// Applies the overrides to the syntax tree. Their text lives in a virtual
// file "<--set>" (one line each) so the binder's diagnostics about them
// point at the command line.
bool apply_overrides(ast::Script& script, const std::vector<Override>& overrides, SourceManager& sources,
                     std::string* error) {
  if (overrides.empty()) return true;
  std::string text;
  std::vector<uint32_t> starts;
  for (const auto& o : overrides) {
    starts.push_back(static_cast<uint32_t>(text.size()));
    text += o.object + "." + o.key + "=" + o.value + "\n";
  }
  FileId file = sources.add("<--set>", text);
  for (size_t i = 0; i < overrides.size(); ++i) {
    const Override& o = overrides[i];
    uint32_t key_begin = starts[i] + static_cast<uint32_t>(o.object.size() + 1);
    uint32_t value_begin = key_begin + static_cast<uint32_t>(o.key.size() + 1);
    ast::OptionDef def;
    def.span = Span::at(file, starts[i], value_begin + static_cast<uint32_t>(o.value.size()));
    def.key = o.key;
    def.key_span = Span::at(file, key_begin, key_begin + static_cast<uint32_t>(o.key.size()));
    def.value.kind = ast::OptionValue::Kind::String;
    def.value.text = o.value;
    def.value.span = Span::at(file, value_begin, value_begin + static_cast<uint32_t>(o.value.size()));

    std::vector<ast::OptionDef>* options = nullptr;
    for (auto& r : script.relations)
      if (iequals(r.name.text, o.object)) options = &r.options;
    for (auto& p : script.pipelines)
      if (iequals(p.name.text, o.object)) options = &p.options;
    if (!options) {
      std::vector<std::string> names;
      for (const auto& r : script.relations) names.push_back(r.name.text);
      for (const auto& p : script.pipelines) names.push_back(p.name.text);
      *error = "--set " + o.object + "." + o.key + ": no source, table, sink or pipeline is called '" + o.object + "'";
      std::string m = closest_match(o.object, names);
      if (!m.empty()) *error += " (did you mean '" + m + "'?)";
      return false;
    }
    auto it = std::find_if(options->begin(), options->end(), [&](const ast::OptionDef& d) { return iequals(d.key, o.key); });
    if (it != options->end()) {
      *it = std::move(def);
    } else {
      options->push_back(std::move(def));
    }
  }
  return true;
}

const char* kRunHelp = R"(usage: pipec run FILE [--set NAME.KEY=VALUE]... [--no-jit | --engine jit|kernels|interpreter]
                 [--summary-json PATH] [--no-progress] [--batch] [--reset-state]
                 [--from TIME --to TIME] [--metrics-addr HOST:PORT] [--notify-url URL]
                 [--decode-threads N] [--compile-only]

  --from TIME --to TIME   backfill/replay of the events of [from, to) (ISO-8601 such as
                          2026-11-01T00:00:00Z, or epoch milliseconds): Kafka sources read
                          the records timestamped in the range, in the consumer group
                          '<group>.backfill.<from>-<to>' (the live group's offsets are never
                          touched; --set SOURCE.properties.group.id=G picks another), and
                          stop at its end; file sources keep the rows whose event time
                          (WATERMARK column) is in the range. With --batch: rebuild an index
                          for a time range.
  --batch                 blue/green load into a new versioned index (docs/batch-load.md)
  --reset-state           ignore existing checkpoints (docs/state-and-checkpoints.md)
  --metrics-addr, --notify-url, --notify-on-success, --notify-breaker-after SECONDS
                          operations (docs/operations.md)
  --compile-only          parse, plan and JIT-compile every pipeline, fill the kernel cache,
                          report the compile time (and --summary-json) and stop without
                          touching any source or sink: warms the cache before a deployment
  --decode-threads N      file sources decode on N threads of their own while the pipeline's
                          thread runs the rest; 0 decodes on the pipeline's thread. Default:
                          the cores the process may use, or 0 with only one. The output is
                          the same (dead letters may interleave differently)
)";

// --from/--to: ISO-8601 or epoch milliseconds.
bool parse_time(const std::string& option, const std::string& text, int64_t* out, std::string* error) {
  char* end = nullptr;
  long long ms = std::strtoll(text.c_str(), &end, 10);
  if (!text.empty() && *end == '\0' && ms >= 0) {
    *out = ms;
    return true;
  }
  std::string_view why;
  if (parse_iso8601_millis(text, out, &why)) return true;
  *error = option + " expects an ISO-8601 time (e.g. 2026-11-01T00:00:00Z) or epoch milliseconds, got '" + text +
           "' (" + std::string(why) + ")";
  return false;
}

// --summary-json: false (said on stderr) when it cannot be written.
bool write_summary(const std::string& path, const std::string& text) {
  try {
    FileWriter w(path);
    w.open();
    w.write(text);
    w.close();
    return true;
  } catch (const std::exception& e) {
    fmt::print(stderr, "pipec run: {}\n", e.what());
    return false;
  }
}

// Cores this process may run on (taskset/cgroup affinity), not the machine's.
int usable_cores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) != 0) return 1;
  return CPU_COUNT(&set);
}

int run_command(Args args) {
  if (take_flag(args, "--help") || take_flag(args, "-h")) {
    fmt::print("{}", kRunHelp);
    return 0;
  }
  std::vector<Override> overrides;
  std::string value, error;
  while (take_option(args, "--set", &value)) {
    Override o;
    if (!parse_override(value, &o, &error)) return usage_error(error);
    overrides.push_back(std::move(o));
  }
  std::string engine = "jit";
  take_flag(args, "--jit");  // the default; accepted for symmetry with --no-jit
  take_option(args, "--engine", &engine);
  if (take_flag(args, "--no-jit")) engine = "interpreter";
  if (engine != "interpreter" && engine != "kernels" && engine != "jit")
    return usage_error("--engine must be interpreter, kernels or jit");
  bool no_progress = take_flag(args, "--no-progress");
  std::string summary_path;
  take_option(args, "--summary-json", &summary_path);
  bool batch_mode = take_flag(args, "--batch");
  bool reset_state = take_flag(args, "--reset-state");
  bool compile_only = take_flag(args, "--compile-only");
  // Decoding on as many threads as there are cores: the pipeline's own
  // thread (kernels, encoder, sink) needs less than one.
  int decode_threads = usable_cores() < 2 ? 0 : usable_cores();
  if (take_option(args, "--decode-threads", &value)) {
    char* end = nullptr;
    long n = std::strtol(value.c_str(), &end, 10);
    if (value.empty() || *end || n < 0 || n > 256) return usage_error("--decode-threads expects 0..256, not '" + value + "'");
    decode_threads = static_cast<int>(n);
  }
  std::optional<PipelineRunOptions::TimeRange> time_range;
  std::string from_text, to_text;
  bool has_from = take_option(args, "--from", &from_text), has_to = take_option(args, "--to", &to_text);
  if (has_from != has_to) return usage_error("--from and --to go together (a backfill of [from, to))");
  if (has_from) {
    time_range.emplace();
    if (!parse_time("--from", from_text, &time_range->from_ms, &error) ||
        !parse_time("--to", to_text, &time_range->to_ms, &error))
      return usage_error(error);
    if (time_range->to_ms <= time_range->from_ms)
      return usage_error("--to (" + to_text + ") must be after --from (" + from_text + ")");
    for (const auto& o : overrides)
      if (iequals(o.key, "properties.group.id") || iequals(o.key, "group.id")) time_range->keep_group = true;
  }
  observe::ObserveOptions observe_options;
  take_option(args, "--metrics-addr", &observe_options.metrics_addr);
  take_option(args, "--notify-url", &observe_options.notify_url);
  observe_options.notify_on_success = take_flag(args, "--notify-on-success");
  if (take_option(args, "--notify-breaker-after", &value)) {
    char* end = nullptr;
    double seconds = std::strtod(value.c_str(), &end);
    if (value.empty() || *end || !(seconds >= 0))
      return usage_error("--notify-breaker-after expects seconds (e.g. 60), got '" + value + "'");
    observe_options.breaker_alert_after = std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000));
  }
  for (const auto& a : args)
    if (a.size() > 1 && a[0] == '-') return usage_error("unknown option '" + a + "' for run");
  if (args.size() != 1) return usage_error("run takes exactly one FILE");
  observe::RunObserver observer;
  if (!observer.start(std::move(observe_options), &error)) return usage_error(error);
  if (!observer.metrics_url().empty()) fmt::print(stderr, "pipec run: metrics on {}/metrics\n", observer.metrics_url());

  // ---- compile
  auto compile_start = std::chrono::steady_clock::now();
  SourceManager sources;
  DiagnosticEngine diags(sources);
  ast::Script script = parse_file(args[0], sources, diags);
  // A backfill's Kafka sources end at --to: validated like a written stop
  // time (and a finite input for --batch).
  if (time_range)
    for (const auto& r : script.relations)
      for (const auto& o : r.options)
        if (r.kind == ast::RelationKind::Source && iequals(o.key, "connector") && iequals(o.value.text, "kafka"))
          overrides.push_back({r.name.text, "scan.stop.timestamp-millis", std::to_string(time_range->to_ms)});
  if (!diags.has_errors() && !apply_overrides(script, overrides, sources, &error)) return usage_error(error);
  BoundScript bound;
  if (!diags.has_errors()) bound = bind_script(script, diags);
  if (!diags.diagnostics().empty()) {
    diags.sort();
    fmt::print(stderr, "{}", render_text(diags, {isatty(STDERR_FILENO) != 0}));
  }
  if (diags.has_errors()) {
    bool io = diags.diagnostics()[0].kind == DiagKind::FileNotFound;
    return io ? 2 : 1;
  }
  std::vector<LogicalPipeline> plans = build_logical_plans(bound);
  if (plans.empty()) {
    fmt::print(stderr, "pipec run: {} defines no pipeline to run\n", args[0]);
    return 1;
  }
  for (size_t i = 0; i < plans.size(); ++i) {
    optimize(plans[i]);
    if (dedup_lost_event_time(plans[i]) || time_range) {
      // Keep the watermark column a source DEDUPLICATE (or --from/--to) needs for event time.
      LogicalPipeline fresh = std::move(build_logical_plans(bound)[i]);
      OptimizerOptions keep_columns;
      keep_columns.disabled.insert("projection_pruning");
      optimize(fresh, keep_columns);
      plans[i] = std::move(fresh);
    }
  }
  for (const auto& p : plans) {
    std::string why = unsupported_reason(p);
    if (!why.empty()) {
      fmt::print(stderr, "pipec run: pipeline '{}': {}\n", p.name, why);
      return 1;
    }
  }
  // Fused kernels (engines kernels and jit); the interpreter compiles nothing.
  std::vector<std::unique_ptr<PhysicalPipeline>> physical;
  std::vector<std::unique_ptr<CompiledPipeline>> compiled;
  double compile_ms = 0;
  CompileTimings compile_timings;
  if (engine != "interpreter") {
    auto jit_start = std::chrono::steady_clock::now();
    KernelCompileOptions ko;
    ko.use_jit = engine == "jit";
    ko.cache_dir = default_kernel_cache_dir();
    for (const auto& p : plans) {
      physical.push_back(std::make_unique<PhysicalPipeline>(lower_to_physical(p)));
      compiled.push_back(std::make_unique<CompiledPipeline>(compile_kernels(*physical.back(), ko)));
      compile_timings += compiled.back()->timings;
      if (!compiled.back()->error.empty())
        fmt::print(stderr, "pipec run: the JIT is unavailable ({}); kernels run interpreted\n", compiled.back()->error);
    }
    compile_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - jit_start).count();
  }
  (void)compile_start;
  if (compile_only) {
    size_t kernels = 0, native = 0;
    int cached = 0;
    for (const auto& c : compiled) {
      kernels += c->kernels.size();
      cached += c->cache_hits;
      for (const auto& k : c->kernels) native += k.native != nullptr;
    }
    fmt::print(stderr, "pipec run --compile-only: {} pipeline(s), {} kernel(s) ({} compiled, {} from the cache) in {:.1f} ms\n",
               plans.size(), kernels, native - std::min<size_t>(native, static_cast<size_t>(cached)), cached,
               compile_ms);
    if (!summary_path.empty()) {
      JsonWriter w;
      w.begin_object();
      w.field("engine", engine);
      w.field("pipelines", static_cast<uint64_t>(plans.size()));
      w.field("kernels", static_cast<uint64_t>(kernels));
      w.field("kernels_native", static_cast<uint64_t>(native));
      w.field("cache_hits", static_cast<uint64_t>(cached));
      w.field("compile_ms", compile_ms);
      w.key("compile").begin_object();
      w.field("engine_setup_ms", compile_timings.engine_setup);
      w.field("ir_ms", compile_timings.ir);
      w.field("optimize_ms", compile_timings.optimize);
      w.field("codegen_ms", compile_timings.codegen);
      w.end_object();
      w.end_object();
      if (!write_summary(summary_path, w.take() + "\n")) return 2;
    }
    return 0;
  }

  BatchLoad batch;
  if (batch_mode) {
    std::string why = batch.prepare(bound, plans);
    if (!why.empty()) {
      fmt::print(stderr, "pipec run --batch: {}\n", why);
      return 2;
    }
  }

  // ---- run
  observer.set_run_info(engine == "kernels" ? "reference kernels" : engine, compile_ms);
  std::atomic<int>& stop = install_shutdown_handlers();
  std::vector<std::unique_ptr<PipelineRunner>> runners;
  for (const auto& p : plans) {
    PipelineRunOptions o;
    if (p.def) {
      std::string bs = p.def->options.get("batch.size");
      if (!bs.empty()) o.batch_capacity = static_cast<uint32_t>(std::clamp(std::stoll(bs), 64LL, 1LL << 20));
      o.batch_capacity = (o.batch_capacity + 63) / 64 * 64;
    }
    if (!compiled.empty()) {
      size_t i = runners.size();
      o.physical = physical[i].get();
      o.kernels = compiled[i].get();
    }
    o.sink_sample_size = batch.sample_size(p);
    o.reset_state = reset_state;
    o.decode_threads = decode_threads;
    o.time_range = time_range;
    o.on_progress = observer.progress_hook();
    runners.push_back(std::make_unique<PipelineRunner>(p, o));
  }
  std::vector<const PipelineRunner*> views;
  for (const auto& r : runners) views.push_back(r.get());

  auto wall_start = std::chrono::steady_clock::now();
  ProgressLine progress(views);
  if (!no_progress) progress.start();
  // A failing pipeline stops the others too ("FAIL PIPELINE" stops the run):
  // it sets the shared stop flag to -1, signals set it to their number.
  auto run_one = [&](PipelineRunner& r) {
    r.run(stop);
    observer.pipeline_ended(r);
    if (r.status() == RunStatus::Failed || r.status() == RunStatus::IoError) {
      int expected = 0;
      stop.compare_exchange_strong(expected, -1);
    }
  };
  if (runners.size() == 1) {
    run_one(*runners[0]);
  } else {
    std::vector<std::thread> threads;
    for (auto& r : runners)
      threads.emplace_back([&, rp = r.get()] {
        set_current_thread_name("pipec:" + rp->plan().name);
        run_one(*rp);
      });
    for (auto& t : threads) t.join();
  }
  progress.stop();

  RunInfo info;
  info.engine = engine == "kernels" ? "reference kernels" : engine;
  info.compile_ms = compile_ms;
  info.compile_timings = compile_timings;
  info.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  info.signal = std::max(stop.load(), 0);
  info.run_id = observer.run_id();
  for (const auto& r : runners) fmt::print(stderr, "{}", summary_text(*r, info));

  int exit_code = 0;
  if (batch_mode) {
    if (!batch.finish(runners, info.signal != 0)) exit_code = 1;
    fmt::print(stderr, "{}", batch.report());
  }
  for (const auto& r : runners) {
    if (r->status() == RunStatus::IoError) exit_code = std::max(exit_code, 2);
    if (r->status() == RunStatus::Failed) exit_code = std::max(exit_code, 1);
  }
  if (!summary_path.empty() && !write_summary(summary_path, summary_json(views, info))) exit_code = std::max(exit_code, 2);
  observer.run_ended(views, info.signal != 0);
  if (info.signal) return 128 + info.signal;
  return exit_code;
}

const bool registered = register_command("run", &run_command, true);

}  // namespace
}  // namespace pipec::cli
