// What `pipec run` wires for operators: a run id, the metrics registry with
// its HTTP endpoint (--metrics-addr) and webhook notifications
// (--notify-url). run.cpp creates one per run and hands each pipeline the
// progress hook; everything else lives here.
//
//   start()              the endpoint listens (an unusable address: error)
//   progress_hook()      per pipeline (PipelineRunOptions::on_progress): on
//                        the pipeline's thread, at most every 100 ms, publishes
//                        its metrics and health; notifies when its sink's
//                        breaker stays open past the threshold (and when it
//                        closes again)
//   pipeline_ended(r)    on the pipeline's thread after run(): the final
//                        metrics (they equal the summary); a failed run notifies
//   run_ended(runners)   opt-in success notifications (--notify-on-success,
//                        the hook for finite/--batch runs); waits (bounded)
//                        for pending notifications
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "runtime/exec/pipeline_runner.h"
#include "runtime/observe/metrics_registry.h"
#include "runtime/observe/metrics_server.h"
#include "runtime/observe/webhook_notifier.h"

namespace pipec::observe {

struct ObserveOptions {
  std::string metrics_addr;  // empty: no endpoint
  std::string notify_url;    // empty: no notifications
  bool notify_on_success = false;
  std::chrono::milliseconds breaker_alert_after{60'000};
  std::chrono::milliseconds publish_interval{100};
};

class RunObserver {
 public:
  RunObserver();
  ~RunObserver();

  // False with *error when the metrics endpoint cannot listen.
  bool start(ObserveOptions options, std::string* error);
  const std::string& run_id() const { return run_id_; }
  // The endpoint's base URL, empty without one.
  std::string metrics_url() const { return server_ ? server_->url() : ""; }
  const MetricsRegistry& registry() const { return registry_; }

  // pipec_run_info and pipec_jit_compile_seconds.
  void set_run_info(const std::string& engine, double compile_ms);
  std::function<void(const PipelineRunner&)> progress_hook();
  void pipeline_ended(const PipelineRunner& runner);
  void run_ended(const std::vector<const PipelineRunner*>& runners, bool interrupted);

 private:
  Notification notification(const PipelineRunner& r, std::string event) const;
  void notify(const Notification& n);

  ObserveOptions options_;
  std::string run_id_;
  std::string host_;
  MetricsRegistry registry_;
  std::unique_ptr<MetricsServer> server_;
  std::unique_ptr<WebhookNotifier> notifier_;
};

// A random (version 4) UUID, e.g. "3b241101-e2bb-4255-8caf-4136c566a962".
std::string new_run_id();

}  // namespace pipec::observe
