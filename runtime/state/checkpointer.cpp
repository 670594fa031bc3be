#include "runtime/state/checkpointer.h"

#include <fmt/format.h>

#include "compiler/bind/connector_options.h"
#include "runtime/common/json_writer.h"
#include "runtime/common/timestamp.h"
#include "runtime/exec/run_error.h"
#include "runtime/sources/kafka_stream_source.h"

namespace pipec {

namespace {

std::string chain_identity(const OperatorChain& chain) {
  std::string id;
  for (const auto& op : chain.operators) {
    std::string s = op->state_identity();
    if (!s.empty()) id += s + "\n";
  }
  return id;
}

std::string human_bytes(uint64_t n) {
  if (n < 10 * 1024) return fmt::format("{} B", n);
  if (n < 10 * 1024 * 1024) return fmt::format("{:.1f} KiB", n / 1024.0);
  return fmt::format("{:.1f} MiB", n / (1024.0 * 1024.0));
}

const char* const kResetHint =
    "hint: start with empty state using `pipec run --reset-state` (open windows and remembered dedup keys are "
    "dropped; the source resumes from the group's committed offsets), or point 'checkpoint.dir' at a new directory";

// One identity line per stateful operator, indented for a message.
std::string indented(const std::string& identity) {
  std::string out;
  size_t begin = 0;
  while (begin < identity.size()) {
    size_t end = identity.find('\n', begin);
    if (end == std::string::npos) end = identity.size();
    out += "    " + identity.substr(begin, end - begin) + "\n";
    begin = end + 1;
  }
  return out.empty() ? "    (no stateful operators)\n" : out;
}

}  // namespace

std::optional<CheckpointOptions> checkpoint_options(const LogicalPipeline& plan, bool reset_state) {
  if (!plan.def) return std::nullopt;
  const auto& o = plan.def->options;
  CheckpointOptions c;
  c.dir = o.get("checkpoint.dir");
  if (c.dir.empty()) return std::nullopt;
  c.reset_state = reset_state;
  // The binder validated the values (connector_options.cpp).
  if (auto ms = parse_duration_ms(o.get("checkpoint.interval", "30s"))) c.interval_ms = std::max<int64_t>(*ms, 1);
  std::string retained = o.get("checkpoint.retained", "3");
  c.retained = static_cast<size_t>(std::max(1LL, std::atoll(retained.c_str())));
  return c;
}

static std::string iso_millis(int64_t ms) {
  char buf[kMaxIso8601Length];
  return std::string(buf, format_iso8601_millis(ms, buf));
}

std::string checkpoint_summary_text(const CheckpointStats& s) {
  std::string t = fmt::format("  checkpoints: {} taken", s.taken);
  if (s.taken)
    t += fmt::format(" (last at {}, {} in {:.1f} ms)", iso_millis(s.last_wall_ms), human_bytes(s.last_bytes), s.last_ms);
  if (s.failed) t += fmt::format(", {} failed", s.failed);
  if (s.deferred) t += fmt::format(", {} deferred (sink not acknowledged yet)", s.deferred);
  t += s.restored_from.empty() ? "; started without a checkpoint\n" : "; restored from " + s.restored_from + "\n";
  return t;
}

void checkpoint_summary_json(JsonWriter& w, const CheckpointStats& s) {
  w.key("checkpoints").begin_object();
  w.field("taken", s.taken);
  w.field("failed", s.failed);
  w.field("deferred", s.deferred);
  w.key("last_time");
  if (s.taken) w.value(iso_millis(s.last_wall_ms)); else w.null();
  w.field("last_bytes", s.last_bytes);
  w.field("last_ms", s.last_ms);
  w.key("restored_from");
  if (s.restored_from.empty()) w.null(); else w.value(s.restored_from);
  w.end_object();
}

std::unique_ptr<Checkpointer> make_checkpointer(const LogicalPipeline& plan, bool reset_state, OperatorChain& chain,
                                                ExecContext& ctx) {
  std::optional<CheckpointOptions> options = checkpoint_options(plan, reset_state);
  if (!options) return nullptr;
  auto checkpoints = std::make_unique<Checkpointer>(plan.name, *options, chain);
  auto* kafka = dynamic_cast<KafkaStreamSource*>(chain.source.get());
  if (!kafka || !checkpoints->has_state()) {
    fmt::print(stderr, "pipeline '{}': 'checkpoint.dir' has no effect: {}\n", plan.name,
               kafka ? "no window or DEDUPLICATE keeps state" : "a file source is read from its start on every run");
    return nullptr;
  }
  std::vector<KafkaStartOffset> starts;
  for (const SourceOffset& o : checkpoints->restore(chain, ctx)) starts.push_back({o.topic, o.partition, o.next_offset});
  kafka->start_at(std::move(starts));
  return checkpoints;
}

Checkpointer::Checkpointer(std::string pipeline, CheckpointOptions options, const OperatorChain& chain)
    : pipeline_(std::move(pipeline)),
      options_(std::move(options)),
      store_(options_.dir, options_.retained),
      identity_(chain_identity(chain)),
      last_(std::chrono::steady_clock::now()) {}

std::vector<SourceOffset> Checkpointer::restore(OperatorChain& chain, ExecContext& ctx) {
  next_id_ = store_.last_id() + 1;
  if (options_.reset_state) {
    size_t n = store_.list().size();
    fmt::print(stderr,
               "pipeline '{}': --reset-state: ignoring {} existing checkpoint(s) in {}; starting with empty state from "
               "the group's committed offsets\n",
               pipeline_, n, store_.dir());
    return {};
  }
  std::vector<Operator*> stateful;
  for (const auto& op : chain.operators)
    if (!op->state_identity().empty()) stateful.push_back(op.get());
  auto accept = [&](const CheckpointData& c) {
    if (c.pipeline != pipeline_ || c.identity != identity_)
      throw RunError::failed(fmt::format(
          "pipeline '{}': cannot restore the checkpoints in {}: they hold the state of {}\n{}  but this pipeline's "
          "state is\n{}  {}",
          pipeline_, store_.dir(), c.pipeline == pipeline_ ? "this pipeline as it was" : "pipeline '" + c.pipeline + "'",
          indented(c.identity), indented(identity_), kResetHint));
    if (c.operator_states.size() != stateful.size())
      throw StateFormatError(fmt::format("{} operator states for {} stateful operators", c.operator_states.size(),
                                         stateful.size()));
    for (size_t i = 0; i < stateful.size(); ++i) {
      StateReader in(c.operator_states[i]);
      stateful[i]->load_state(in, ctx);
      if (!in.done())
        throw StateFormatError(fmt::format("{} unexpected bytes after the state of {}", in.remaining(),
                                           stateful[i]->name()));
    }
  };
  CheckpointStore::Loaded loaded = store_.load_newest(accept);
  for (const std::string& why : loaded.skipped)
    fmt::print(stderr, "pipeline '{}': warning: checkpoint {} is unusable{}\n", pipeline_, why,
               loaded.checkpoint ? "; falling back to the previous one" : "");
  if (!loaded.checkpoint) {
    if (loaded.files == 0) return {};
    throw RunError::failed(fmt::format("pipeline '{}': none of the {} checkpoint(s) in {} is usable (see above)\n  {}",
                                       pipeline_, loaded.files, store_.dir(), kResetHint));
  }
  const CheckpointData& c = *loaded.checkpoint;
  stats_.restored_from = loaded.path;
  std::string at;
  for (const SourceOffset& o : c.positions) {
    positions_[{o.topic, o.partition}] = o.next_offset;
    at += fmt::format(" {}[{}]@{}", o.topic, o.partition, o.next_offset);
  }
  fmt::print(stderr, "pipeline '{}': restored checkpoint {} (written {}); sources resume at{}\n", pipeline_, loaded.path,
             iso_millis(c.created_ms), at.empty() ? " their committed offsets" : at);
  return c.positions;
}

void Checkpointer::observe(const Batch& batch, const DecodeErrors& errors, const ExecContext& ctx) {
  auto note = [&](const SourcePosition& pos) {
    if (!pos.is_kafka() || pos.source_file >= ctx.sources.size()) return;
    int64_t& next = positions_[{ctx.sources[pos.source_file].path_or_topic, pos.partition}];
    next = std::max(next, static_cast<int64_t>(pos.line_or_offset) + 1);
  };
  for (uint32_t i = 0; i < batch.size; ++i) note(batch.positions[i]);
  for (const auto& e : errors.errors) note(e.pos);
  changed_ |= batch.size > 0 || !errors.errors.empty();
}

bool Checkpointer::due() const {
  return std::chrono::steady_clock::now() - last_ >= std::chrono::milliseconds(options_.interval_ms);
}

bool Checkpointer::take(OperatorChain& chain, ExecContext& ctx) {
  auto start = std::chrono::steady_clock::now();
  last_ = start;
  // Nothing read since the last (or the restored) checkpoint: it still is the state.
  if (!changed_) return true;
  CheckpointData c;
  c.id = next_id_;
  c.created_ms = wall_clock_millis();
  c.pipeline = pipeline_;
  c.identity = identity_;
  for (const auto& [tp, next] : positions_) c.positions.push_back({tp.first, tp.second, next});
  for (const auto& op : chain.operators) {
    if (op->state_identity().empty()) continue;
    StateWriter w;
    op->save_state(w, ctx);
    c.operator_states.push_back(w.take());
  }
  size_t bytes;
  try {
    bytes = store_.write(c);
  } catch (const RunError& e) {
    ++stats_.failed;
    fmt::print(stderr, "pipeline '{}': warning: checkpoint {} failed: {} (offsets of windowed records stay uncommitted; "
               "retrying in {} ms)\n", pipeline_, c.id, e.what(), options_.interval_ms);
    return false;
  }
  ++next_id_;
  changed_ = false;
  for (const auto& op : chain.operators) op->on_checkpoint(ctx);
  ++stats_.taken;
  stats_.last_wall_ms = c.created_ms;
  stats_.last_bytes = bytes;
  stats_.last_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  std::string at;
  for (const SourceOffset& o : c.positions) at += fmt::format(" {}[{}]@{}", o.topic, o.partition, o.next_offset);
  fmt::print(stderr, "pipeline '{}': checkpoint {} written ({}, {:.1f} ms):{}\n", pipeline_, c.id, human_bytes(bytes),
             stats_.last_ms, at.empty() ? " no records yet" : at);
  return true;
}

}  // namespace pipec
