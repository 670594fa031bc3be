#include "runtime/observe/run_observer.h"

#include <unistd.h>

#include <optional>

#include <fmt/format.h>

#include "pipec_version.h"
#include "runtime/observe/pipeline_metrics.h"
#include "runtime/sinks/elasticsearch/bulk_client.h"
#include "runtime/sinks/elasticsearch/retry_policy.h"

namespace pipec::observe {

std::string new_run_id() {
  es::RandomSource random = es::make_default_random();
  uint64_t hi = random(), lo = random();
  hi = (hi & ~0xF000ULL) | 0x4000ULL;                        // version 4
  lo = (lo & ~(0xC000ULL << 48)) | (0x8000ULL << 48);        // RFC 4122 variant
  return fmt::format("{:08x}-{:04x}-{:04x}-{:04x}-{:012x}", hi >> 32, (hi >> 16) & 0xFFFF, hi & 0xFFFF, lo >> 48,
                     lo & 0xFFFFFFFFFFFFULL);
}

RunObserver::RunObserver() : run_id_(new_run_id()) {
  char name[256] = "";
  if (gethostname(name, sizeof name - 1) == 0) host_ = name;
}

RunObserver::~RunObserver() = default;

bool RunObserver::start(ObserveOptions options, std::string* error) {
  options_ = std::move(options);
  if (!options_.metrics_addr.empty()) {
    server_ = MetricsServer::start(options_.metrics_addr, registry_, error);
    if (!server_) return false;
  }
  if (!options_.notify_url.empty()) notifier_ = std::make_unique<WebhookNotifier>(WebhookOptions{options_.notify_url});
  return true;
}

void RunObserver::set_run_info(const std::string& engine, double compile_ms) {
  MetricSet m;
  m.gauge("pipec_run_info", "Always 1: the run id, engine and version of this pipec run",
          {{"run_id", run_id_}, {"engine", engine}, {"version", PIPEC_VERSION}}, 1);
  m.gauge("pipec_run_start_time_seconds", "When the run started (Unix time)", {},
          static_cast<double>(wall_clock_millis()) / 1000.0);
  m.gauge("pipec_jit_compile_seconds", "Time spent compiling the fused kernels (0 for the interpreter)", {},
          compile_ms / 1000.0);
  registry_.publish("run", std::move(m));
}

std::function<void(const PipelineRunner&)> RunObserver::progress_hook() {
  if (!server_ && !notifier_) return {};
  struct Watch {
    std::chrono::steady_clock::time_point last_publish{};
    std::optional<std::chrono::steady_clock::time_point> breaker_open_since;
    bool alerted = false;
  };
  return [this, watch = std::make_shared<Watch>()](const PipelineRunner& r) {
    auto now = std::chrono::steady_clock::now();
    if (now - watch->last_publish < options_.publish_interval) return;
    watch->last_publish = now;
    if (server_) registry_.publish(r.plan().name, pipeline_metrics(r), pipeline_health(r));
    const es::BulkClient* client = es_client_of(r);
    if (!notifier_ || !client) return;
    es::BulkClientStats stats = client->stats();
    if (!stats.outage()) {
      if (watch->alerted) notify(notification(r, "sink_recovered"));
      watch->breaker_open_since.reset();
      watch->alerted = false;
      return;
    }
    if (!watch->breaker_open_since) watch->breaker_open_since = now;
    if (!watch->alerted && now - *watch->breaker_open_since >= options_.breaker_alert_after) {
      Notification n = notification(r, "sink_unavailable");
      n.error = stats.last_error;
      notify(n);
      watch->alerted = true;
    }
  };
}

void RunObserver::pipeline_ended(const PipelineRunner& r) {
  if (server_) registry_.publish(r.plan().name, pipeline_metrics(r), pipeline_health(r));
  if (r.status() == RunStatus::Failed || r.status() == RunStatus::IoError) notify(notification(r, "run_failed"));
}

void RunObserver::run_ended(const std::vector<const PipelineRunner*>& runners, bool interrupted) {
  if (!notifier_) return;
  bool ok = !interrupted;
  for (const auto* r : runners) ok &= r->status() == RunStatus::Ok;
  if (ok && options_.notify_on_success)
    for (const auto* r : runners) notify(notification(*r, "run_succeeded"));
  notifier_->drain(std::chrono::seconds(10));
}

Notification RunObserver::notification(const PipelineRunner& r, std::string event) const {
  const PipelineStats& s = r.context().stats;
  Notification n;
  n.event = std::move(event);
  n.run_id = run_id_;
  n.pipeline = r.plan().name;
  n.status = r.running() ? "running" : run_status_name(r.status());
  n.error = r.error();
  n.dead_letter_location = r.dead_letter_path();
  n.dead_letters = r.dead_letters() ? r.dead_letters()->total() : 0;
  n.events_in = s.records_in.load(std::memory_order_relaxed);
  n.events_out = s.documents_out.load(std::memory_order_relaxed);
  n.host = host_;
  n.time_millis = wall_clock_millis();
  return n;
}

void RunObserver::notify(const Notification& n) {
  if (notifier_) notifier_->post(n);
}

}  // namespace pipec::observe
