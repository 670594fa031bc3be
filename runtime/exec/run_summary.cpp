#include "runtime/exec/run_summary.h"

#include <fmt/format.h>

#include "runtime/common/json_writer.h"
#include "runtime/exec/progress.h"
#include "runtime/state/checkpointer.h"

namespace pipec {

const char* action_name(ViolationAction a) {
  switch (a) {
    case ViolationAction::Warn: return "WARN";
    case ViolationAction::DropRow: return "DROP ROW";
    case ViolationAction::DeadLetter: return "DEAD LETTER";
    case ViolationAction::FailPipeline: return "FAIL PIPELINE";
  }
  return "?";
}

namespace {

const char* outcome_verb(ViolationAction a) {
  switch (a) {
    case ViolationAction::Warn: return "warned";
    case ViolationAction::DropRow: return "dropped";
    case ViolationAction::DeadLetter: return "dead-lettered";
    case ViolationAction::FailPipeline: return "failed the pipeline";
  }
  return "";
}

double rate(double n, double seconds) { return seconds > 0 ? n / seconds : 0; }

}  // namespace

std::string summary_text(const PipelineRunner& r, const RunInfo& info) {
  const PipelineStats& s = r.context().stats;
  uint64_t in = s.records_in.load(), out = s.documents_out.load(), bytes = s.bytes_read.load();
  std::string t;
  std::string state;
  switch (r.status()) {
    case RunStatus::Ok: state = "finished"; break;
    case RunStatus::Interrupted: state = "interrupted"; break;
    case RunStatus::Failed:
    case RunStatus::IoError: state = "FAILED"; break;
  }
  t += fmt::format("pipeline '{}' {} in {:.3f} s ({}, compile {:.0f} ms)\n", r.plan().name, state, r.seconds(),
                   info.engine, info.compile_ms);
  if (!info.run_id.empty()) t += fmt::format("  run id: {}\n", info.run_id);
  if (!r.error().empty()) t += fmt::format("  error: {}\n", r.error());
  t += fmt::format("  events: {} in, {} out", group_digits(in), group_digits(out));
  if (s.filtered)
    t += fmt::format(", {} filtered by {}", group_digits(s.filtered),
                     r.plan().def && r.plan().def->grouped() ? "WHERE/HAVING" : "WHERE");
  if (s.deduplicated) t += fmt::format(", {} duplicates dropped", group_digits(s.deduplicated));
  if (s.join_misses) t += fmt::format(", {} without a join match", group_digits(s.join_misses));
  t += "\n";
  if (!s.time_range.empty())
    t += fmt::format("  time range: {}{}\n", s.time_range,
                     s.outside_time_range ? fmt::format("; {} rows outside it skipped", group_digits(s.outside_time_range))
                                          : "");
  t += fmt::format("  input: {} read, {} events/s, {}/s\n", human_bytes(static_cast<double>(bytes)),
                   group_digits(static_cast<uint64_t>(rate(static_cast<double>(in), r.seconds()))),
                   human_bytes(rate(static_cast<double>(bytes), r.seconds())));
  if (!r.output().empty())
    t += fmt::format("  output: {} ({} documents, {})\n", r.output(), group_digits(out),
                     human_bytes(static_cast<double>(s.bytes_written)));
  for (const auto& c : s.constraints) {
    t += fmt::format("  constraint {} ({}, ON VIOLATION {}): ", c.name, c.owner, action_name(c.action));
    t += c.violations ? fmt::format("{} {}", group_digits(c.violations), outcome_verb(c.action)) : "0 violations";
    t += fmt::format(" ({} checked)\n", group_digits(c.checked));
  }
  uint64_t decode_total = 0;
  std::string kinds;
  for (size_t k = 0; k < kDecodeErrorKinds; ++k) {
    if (!s.decode_errors[k]) continue;
    decode_total += s.decode_errors[k];
    kinds += fmt::format("{}{} {}", kinds.empty() ? "" : ", ",
                         decode_error_kind_name(static_cast<DecodeErrorKind>(k)), group_digits(s.decode_errors[k]));
  }
  if (decode_total) t += fmt::format("  decode errors: {} ({})\n", group_digits(decode_total), kinds);
  if (s.sink_rejected) t += fmt::format("  rejected by the sink: {}\n", group_digits(s.sink_rejected));
  if (const DeadLetterQueue* dlq = r.dead_letters(); dlq && dlq->total())
    t += fmt::format("  dead letters: {} -> {}\n", group_digits(dlq->total()), r.dead_letter_path());
  if (!s.sink_counters.empty()) {
    t += "  sink:";
    for (const auto& [name, n] : s.sink_counters) t += fmt::format(" {} {},", name, group_digits(n));
    t.back() = '\n';
  }
  if (const Checkpointer* c = r.checkpoints()) t += checkpoint_summary_text(c->stats());
  for (const auto& w : s.warnings) t += fmt::format("  warning: {}\n", w);
  return t;
}

std::string summary_json(const std::vector<const PipelineRunner*>& runners, const RunInfo& info) {
  JsonWriter w(true);
  w.begin_object();
  bool ok = true;
  for (const auto* r : runners) ok &= r->status() == RunStatus::Ok;
  w.field("status", info.signal ? "interrupted" : ok ? "ok" : "failed");
  w.field("engine", info.engine);
  w.field("run_id", info.run_id);
  w.key("pipelines").begin_array();
  for (const auto* r : runners) {
    const PipelineStats& s = r->context().stats;
    w.begin_object();
    w.field("name", r->plan().name);
    w.field("status", run_status_name(r->status()));
    w.key("error");
    if (r->error().empty()) w.null(); else w.value(r->error());
    w.field("events_in", s.records_in.load());
    w.field("events_out", s.documents_out.load());
    w.field("filtered", s.filtered);
    w.field("deduplicated", s.deduplicated);
    w.field("join_misses", s.join_misses);
    w.field("sink_rejected", s.sink_rejected);
    if (!s.time_range.empty()) {
      w.field("time_range", s.time_range);
      w.field("outside_time_range", s.outside_time_range);
    }
    w.field("bytes_read", s.bytes_read.load());
    w.key("constraints").begin_array();
    for (const auto& c : s.constraints) {
      w.begin_object();
      w.field("name", c.name);
      w.field("owner", c.owner);
      w.field("action", action_name(c.action));
      w.field("violations", c.violations);
      w.field("checked", c.checked);
      w.end_object();
    }
    w.end_array();
    w.key("decode_errors").begin_object();
    for (size_t k = 0; k < kDecodeErrorKinds; ++k)
      if (s.decode_errors[k]) w.field(decode_error_kind_name(static_cast<DecodeErrorKind>(k)), s.decode_errors[k]);
    w.end_object();
    w.key("dead_letters").begin_object();
    const DeadLetterQueue* dlq = r->dead_letters();
    w.field("total", dlq ? dlq->total() : uint64_t{0});
    w.key("by_reason").begin_object();
    if (dlq)
      for (const auto& [reason, n] : dlq->counts()) w.field(reason, n);
    w.end_object();
    w.end_object();
    for (const auto& [key, counters] : {std::pair{"source", &s.source_counters}, std::pair{"sink", &s.sink_counters}}) {
      if (counters->empty()) continue;
      w.key(key).begin_object();
      for (const auto& [name, n] : *counters) w.field(name, n);
      w.end_object();
    }
    if (const Checkpointer* c = r->checkpoints()) checkpoint_summary_json(w, c->stats());
    w.key("warnings").begin_array();
    for (const auto& warning : s.warnings) w.value(warning);
    w.end_array();
    w.key("timing").begin_object();
    w.field("seconds", r->seconds());
    w.field("events_per_second", rate(static_cast<double>(s.records_in.load()), r->seconds()));
    w.field("bytes_per_second", rate(static_cast<double>(s.bytes_read.load()), r->seconds()));
    w.field("compile_ms", info.compile_ms);
    w.key("compile").begin_object();
    w.field("engine_setup_ms", info.compile_timings.engine_setup);
    w.field("ir_ms", info.compile_timings.ir);
    w.field("optimize_ms", info.compile_timings.optimize);
    w.field("codegen_ms", info.compile_timings.codegen);
    w.end_object();
    w.end_object();
    w.end_object();
  }
  w.end_array();
  w.key("timing").begin_object();
  w.field("wall_seconds", info.wall_seconds);
  w.end_object();
  w.end_object();
  std::string out = w.take();
  out += "\n";
  return out;
}

}  // namespace pipec
