#include "runtime/sources/kafka_stream_source.h"

#include <algorithm>
#include <cstdlib>

#include <fmt/format.h>

#include "runtime/exec/run_error.h"

namespace pipec {

namespace {

DecodeOptions decode_options(const KafkaSourceConfig& c) {
  DecodeOptions d;
  d.max_record_size = c.max_record_bytes;
  return d;
}

constexpr int kPollMs = 100;

// How long the driver may go without polling while its sink waits for room
// before keep_alive() pauses: well inside max.poll.interval.ms.
std::chrono::milliseconds pause_after(const KafkaSourceConfig& c) {
  long long max_poll_ms = 300000;  // librdkafka's default
  for (const auto& [k, v] : c.properties)
    if (k == "max.poll.interval.ms") max_poll_ms = std::atoll(v.c_str());
  return std::chrono::milliseconds(std::clamp(max_poll_ms / 3, 0LL, 10000LL));
}

}  // namespace

KafkaSourceConfig kafka_stream_config(const LogicalSource& plan, const std::string& pipeline_name) {
  const RelationDef& rel = *plan.relation;
  std::vector<std::pair<std::string, std::string>> options;
  for (const auto& o : rel.options.options) {
    if (o.is_secret) {
      const char* v = std::getenv(o.value.c_str());
      if (!v)
        throw RunError::io("source '" + rel.name + "': option '" + o.key + "' = secret('" + o.value +
                           "'), but the environment variable " + o.value + " is not set");
      options.emplace_back(o.key, v);
    } else {
      options.emplace_back(o.key, o.value);
    }
  }
  KafkaSourceConfig config;
  std::string error;
  if (!KafkaSourceConfig::from_options(options, pipeline_name, &config, &error))
    throw RunError::failed("source '" + rel.name + "': " + error);
  config.source_name = rel.name;
  for (const auto& d : plan.decode)
    if (d.metadata) config.want_metadata(*d.metadata);
  return config;
}

KafkaStreamSource::KafkaStreamSource(const LogicalSource& plan, KafkaSourceConfig config)
    : config_(std::move(config)), decoder_(decode_spec_of(plan), decode_options(config_)),
      pause_after_(pause_after(config_)) {
  for (uint32_t c = 0; c < plan.decode.size(); ++c) {
    KafkaMetadataField f;
    if (plan.decode[c].metadata && kafka_metadata_field(*plan.decode[c].metadata, &f))
      metadata_.push_back({c, f});
  }
}

KafkaStreamSource::~KafkaStreamSource() {
  try {
    close();
  } catch (...) {
  }
}

void KafkaStreamSource::open() {
  std::string error;
  if (!config_.log) {
    std::string name = config_.source_name;
    config_.log = [name](const std::string& line) { fmt::print(stderr, "kafka source '{}': {}\n", name, line); };
  }
  kafka_ = KafkaSource::open(config_, &error);
  if (!kafka_) throw RunError::io("source '" + config_.source_name + "': " + error);
  kafka_->set_rebalance_listener(&revoke_hook_);
  descriptors_ = kafka_->descriptors();
}

bool KafkaStreamSource::next(Batch& batch, DecodeErrors& errors) {
  handed_.clear();
  waiting_since_.reset();
  if (closed_ || finished_) return false;
  if (paused_) {
    poll_paused(kPollMs);
    return true;
  }
  if (chunk_index_ >= chunks_.size()) {
    chunks_.clear();
    chunk_index_ = 0;
    KafkaPollStatus st = kafka_->poll(chunks_, kPollMs);
    if (st == KafkaPollStatus::Failed)
      throw RunError::io("source '" + config_.source_name + "': " + kafka_->error());
    if (st == KafkaPollStatus::Finished && chunks_.empty()) {
      finished_ = true;
      return false;
    }
    count(0);
    cursor_ = DecodeCursor{};
  }
  while (!batch.full() && errors.errors.size() < batch.capacity() && chunk_index_ < chunks_.size()) {
    const KafkaChunk& chunk = chunks_[chunk_index_];
    const size_t first_frame = cursor_.frame;
    uint32_t before = batch.size;
    bool done = decoder_.decode(chunk.input, batch, errors, cursor_);
    chunk.fill_metadata(batch, before, batch.size, metadata_);
    // Every frame consumed now holds a source reference.
    for (size_t f = first_frame; f < cursor_.frame && f < chunk.size(); ++f) handed_.push_back(chunk.ticket(f));
    if (done) {
      // Frames past the cursor (a fully consumed chunk).
      for (size_t f = std::max(first_frame, cursor_.frame); f < chunk.size(); ++f) handed_.push_back(chunk.ticket(f));
      ++chunk_index_;
      cursor_ = DecodeCursor{};
    }
  }
  return true;
}

void KafkaStreamSource::poll_paused(int timeout_ms) {
  // Backpressure: the partitions are paused, but poll() must go on (group
  // membership, rebalances, commit results). Anything it still hands out is
  // tracked and kept for later.
  size_t had = chunks_.size();
  if (kafka_->poll(chunks_, timeout_ms) == KafkaPollStatus::Failed)
    throw RunError::io("source '" + config_.source_name + "': " + kafka_->error());
  count(had);
}

void KafkaStreamSource::keep_alive(bool outage) {
  if (closed_ || finished_ || !kafka_) return;
  auto now = std::chrono::steady_clock::now();
  if (!waiting_since_) waiting_since_ = now;
  if (!outage && !paused_ && now - *waiting_since_ < pause_after_) return;
  set_paused(true);
  poll_paused(0);
}

const std::string& KafkaStreamSource::backfill(int64_t from_ms, int64_t to_ms, bool keep_group) {
  config_.startup = KafkaStartupMode::Timestamp;
  config_.startup_timestamp_ms = from_ms;
  config_.stop_timestamp_ms = to_ms;
  if (!keep_group) config_.group_id += fmt::format(".backfill.{}-{}", from_ms, to_ms);
  return config_.group_id;
}

void KafkaStreamSource::count(size_t from) {
  for (size_t i = from; i < chunks_.size(); ++i) {
    records_ += chunks_[i].size();
    for (const auto& m : chunks_[i].meta) bytes_ += m.payload_size;
  }
}

void KafkaStreamSource::release_batch() {
  if (!handed_.empty() && kafka_) kafka_->release(handed_);
  handed_.clear();
}

void KafkaStreamSource::take_batch(std::vector<Ticket>& out) {
  out.insert(out.end(), handed_.begin(), handed_.end());
  handed_.clear();
}

void KafkaStreamSource::release(std::span<const Ticket> tickets) {
  if (!tickets.empty() && kafka_) kafka_->release(tickets);
}

Ticket KafkaStreamSource::acquire(const SourcePosition& pos) { return kafka_->acquire(pos); }

void KafkaStreamSource::acquire(std::span<const SourcePosition> positions, std::span<const uint32_t> rows,
                                Ticket* out) {
  kafka_->acquire(positions, rows, out);
}

void KafkaStreamSource::release(Ticket t) {
  if (t.valid()) kafka_->release(t);
}

void KafkaStreamSource::set_paused(bool paused) {
  if (paused == paused_ || !kafka_) return;
  paused_ = paused;
  if (paused) kafka_->pause_all();
  else kafka_->resume_all();
}

bool KafkaStreamSource::commit(bool sync) { return kafka_ ? kafka_->commit(sync) : true; }

void KafkaStreamSource::close() {
  if (closed_) return;
  closed_ = true;
  if (kafka_) kafka_->close();
}

}  // namespace pipec
