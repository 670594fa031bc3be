#include "runtime/delivery/kafka_dead_letters.h"

#include <fmt/core.h>
#include <librdkafka/rdkafka.h>

#include <atomic>
#include <cstdlib>
#include <string_view>

#include "runtime/common/timestamp.h"
#include "runtime/exec/run_error.h"
#include "runtime/sources/kafka/kafka_config.h"

namespace pipec {

namespace {

constexpr std::string_view kPropertyPrefix = "dead-letter.kafka.";

// What at-least-once dead letters rely on; a different value would silently
// weaken it, so it cannot be overridden.
bool is_managed_property(std::string_view key) {
  return key == "enable.idempotence" || key == "acks" || key == "request.required.acks";
}

}  // namespace

KafkaDeadLetterConfig kafka_dead_letter_config(const OptionSet& options, const std::string& source_brokers) {
  KafkaDeadLetterConfig c;
  c.topic = options.get("dead-letter.topic");
  c.bootstrap_servers = source_brokers;
  for (const auto& o : options.options) {
    std::string_view key = o.key;
    if (key.substr(0, kPropertyPrefix.size()) != kPropertyPrefix) continue;
    std::string property(key.substr(kPropertyPrefix.size()));
    if (is_managed_property(property))
      throw RunError::failed("option '" + o.key + "': pipec always produces dead letters with enable.idempotence=true and "
                             "acks=all; remove it");
    std::string value = o.value;
    if (o.is_secret) {
      const char* v = std::getenv(o.value.c_str());
      if (!v)
        throw RunError::io("option '" + o.key + "' = secret('" + o.value + "'), but the environment variable " +
                           o.value + " is not set");
      value = v;
    }
    if (property == "bootstrap.servers") c.bootstrap_servers = value;
    else c.properties.emplace_back(property, value);
  }
  if (c.topic.empty()) throw RunError::failed("option 'dead-letter.topic' is empty");
  if (c.bootstrap_servers.empty())
    throw RunError::failed("'dead-letter.topic' = '" + c.topic +
                           "' needs brokers: set 'dead-letter.kafka.bootstrap.servers' (only a kafka source lends its own)");
  return c;
}

struct KafkaDeadLetterOutput::Impl {
  KafkaDeadLetterOutput* owner = nullptr;
  rd_kafka_t* rk = nullptr;
  rd_kafka_topic_t* topic = nullptr;
  std::atomic<uint64_t> in_flight{0};
  std::string failure;  // the first letter that could not be stored, or a fatal error
  std::string log_prefix;  // "dead letters to kafka topic 'x'", set before the producer exists

  void fail(std::string why) {
    if (failure.empty()) failure = std::move(why);
  }

  // Served by rd_kafka_poll / rd_kafka_flush on the pipeline's thread.
  static void on_delivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
    auto* impl = static_cast<Impl*>(opaque);
    auto* hold = static_cast<Ticket*>(m->_private);
    --impl->in_flight;
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      if (impl->owner) impl->owner->release(*hold);
    } else {
      impl->fail(std::string("a dead letter was not acknowledged by Kafka: ") + rd_kafka_err2name(m->err) + ": " +
                 rd_kafka_err2str(m->err));
    }
    delete hold;
  }

  // librdkafka's own lines, on its threads, prefixed like the other dead-letter messages.
  static void on_log(const rd_kafka_t* rk, int level, const char* facility, const char* line) {
    if (auto* impl = static_cast<Impl*>(rd_kafka_opaque(rk)))
      fmt::print(stderr, "{}: {}\n", impl->log_prefix, librdkafka_log_line(level, facility, line));
  }

  static void on_error(rd_kafka_t* rk, int err, const char* reason, void* opaque) {
    if (err != RD_KAFKA_RESP_ERR__FATAL) return;  // transient: librdkafka retries
    char buf[512];
    rd_kafka_resp_err_t orig = rd_kafka_fatal_error(rk, buf, sizeof buf);
    static_cast<Impl*>(opaque)->fail(std::string("fatal producer error: ") + rd_kafka_err2name(orig) + ": " + buf);
  }
};

KafkaDeadLetterOutput::KafkaDeadLetterOutput(KafkaDeadLetterConfig config, std::string pipeline,
                                             std::vector<SourceDescriptor> sources)
    : config_(std::move(config)), pipeline_(std::move(pipeline)), sources_(std::move(sources)),
      impl_(std::make_unique<Impl>()) {
  impl_->owner = this;
}

KafkaDeadLetterOutput::~KafkaDeadLetterOutput() {
  if (impl_->topic) rd_kafka_topic_destroy(impl_->topic);
  if (impl_->rk) {
    // Letters still unacknowledged keep their holds (never released): their
    // offsets stay uncommitted. Only the heap tickets are reclaimed.
    rd_kafka_purge(impl_->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    impl_->owner = nullptr;
    rd_kafka_destroy(impl_->rk);
  }
}

uint64_t KafkaDeadLetterOutput::in_flight() const { return impl_->in_flight.load(); }

void KafkaDeadLetterOutput::open() {
  const std::string where = describe() + " on " + config_.bootstrap_servers;
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  std::vector<std::pair<std::string, std::string>> props = {
      {"bootstrap.servers", config_.bootstrap_servers},
      {"enable.idempotence", "true"},
      {"acks", "all"},
      {"client.id", "pipec-dead-letters"},
      {"linger.ms", "5"},
  };
  props.insert(props.end(), config_.properties.begin(), config_.properties.end());
  for (const auto& [k, v] : props)
    if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      throw RunError::failed("dead letters to " + describe() + ": option 'dead-letter.kafka." + k + "': " + err);
    }
  impl_->log_prefix = "dead letters to " + describe();
  rd_kafka_conf_set_opaque(conf, impl_.get());
  rd_kafka_conf_set_dr_msg_cb(conf, &Impl::on_delivery);
  rd_kafka_conf_set_error_cb(conf, &Impl::on_error);
  rd_kafka_conf_set_log_cb(conf, &Impl::on_log);
  impl_->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (!impl_->rk) {
    rd_kafka_conf_destroy(conf);
    throw RunError::failed("dead letters to " + where + ": " + err);
  }
  impl_->topic = rd_kafka_topic_new(impl_->rk, config_.topic.c_str(), nullptr);
  // Fail before any input is read when letters could not be stored later.
  const rd_kafka_metadata_t* md = nullptr;
  rd_kafka_resp_err_t e = rd_kafka_metadata(impl_->rk, 0, impl_->topic, &md, config_.open_timeout_ms);
  if (e != RD_KAFKA_RESP_ERR_NO_ERROR)
    throw RunError::io("cannot write dead letters to " + where + ": " + rd_kafka_err2str(e));
  rd_kafka_resp_err_t topic_error = md->topic_cnt == 1 ? md->topics[0].err : RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC;
  rd_kafka_metadata_destroy(md);
  if (topic_error != RD_KAFKA_RESP_ERR_NO_ERROR)
    throw RunError::io("cannot write dead letters to " + where + ": " + rd_kafka_err2str(topic_error));
}

void KafkaDeadLetterOutput::write(const DeadLetter& letter, int64_t time_millis, Ticket hold) {
  rd_kafka_headers_t* headers = rd_kafka_headers_new(10);
  auto add = [&](const char* name, std::string_view value) {
    rd_kafka_header_add(headers, name, -1, value.data(), static_cast<ssize_t>(value.size()));
  };
  add("pipec.error.kind", letter.kind);
  add("pipec.error.reason", letter.error);
  if (!letter.constraint.empty()) add("pipec.error.constraint", letter.constraint);
  add("pipec.pipeline", pipeline_);
  std::string_view where;
  if (letter.pos.source_file < sources_.size()) where = sources_[letter.pos.source_file].path_or_topic;
  const std::string number = std::to_string(letter.pos.line_or_offset);
  if (letter.pos.is_kafka()) {
    add("pipec.source.topic", where);
    add("pipec.source.partition", std::to_string(letter.pos.partition));
    add("pipec.source.offset", number);
  } else {
    add("pipec.source.file", where);
    add("pipec.source.line", number);
  }
  char time[40];
  add("pipec.time", std::string_view(time, format_iso8601_millis(time_millis, time)));

  auto* opaque = new Ticket(hold);
  while (true) {
    rd_kafka_resp_err_t e = rd_kafka_producev(
        impl_->rk, RD_KAFKA_V_RKT(impl_->topic), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
        RD_KAFKA_V_VALUE(const_cast<char*>(letter.record.data()), letter.record.size()),
        RD_KAFKA_V_HEADERS(headers), RD_KAFKA_V_OPAQUE(opaque), RD_KAFKA_V_END);
    if (e == RD_KAFKA_RESP_ERR_NO_ERROR) break;
    if (e == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      // Backpressure: the producer's queue is full; deliver reports and retry.
      rd_kafka_poll(impl_->rk, 100);
      continue;
    }
    rd_kafka_headers_destroy(headers);
    delete opaque;
    throw RunError::io("cannot write a dead letter of " + std::to_string(letter.record.size()) + " bytes to " +
                       describe() + ": " + rd_kafka_err2str(e) +
                       (e == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE ? " (raise 'dead-letter.kafka.message.max.bytes' "
                                                                    "and the topic's max.message.bytes)"
                                                                  : ""));
  }
  ++impl_->in_flight;
}

void KafkaDeadLetterOutput::flush() {
  if (!impl_->rk) return;
  rd_kafka_poll(impl_->rk, 0);
  if (!impl_->failure.empty())
    throw RunError::io("dead letters to " + describe() + ": " + impl_->failure);
}

void KafkaDeadLetterOutput::close() {
  if (!impl_->rk) return;
  rd_kafka_flush(impl_->rk, config_.close_timeout_ms);
  rd_kafka_poll(impl_->rk, 0);
  if (!impl_->failure.empty())
    throw RunError::io("dead letters to " + describe() + ": " + impl_->failure);
  if (uint64_t left = in_flight())
    throw RunError::io("dead letters to " + describe() + ": " + std::to_string(left) +
                       " letters not acknowledged by Kafka within " + std::to_string(config_.close_timeout_ms) +
                       " ms; their source offsets stay uncommitted");
}

}  // namespace pipec
