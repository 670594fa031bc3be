// `pipec run --metrics-addr HOST:PORT`: an HTTP endpoint (libmicrohttpd,
// serving from its own thread) for Prometheus and liveness probes:
//   GET /metrics   the registry in the text exposition format 0.0.4
//   GET /health    200 "ok" while healthy, 503 and the reasons when not
//                  (a pipeline failed, a sink's circuit breaker is open)
// Requests only read the registry's snapshots: they never wait for a pipeline.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "runtime/observe/metrics_registry.h"

struct MHD_Daemon;

namespace pipec::observe {

class MetricsServer {
 public:
  // Listens on `address` ("127.0.0.1:9464", "[::1]:9464", ":9464" for every
  // interface; port 0 picks a free one). Null with *error when the address
  // is malformed or cannot be bound.
  static std::unique_ptr<MetricsServer> start(const std::string& address, const MetricsRegistry& registry,
                                              std::string* error);
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  uint16_t port() const { return port_; }
  // "http://127.0.0.1:9464"
  const std::string& url() const { return url_; }

 private:
  explicit MetricsServer(const MetricsRegistry& registry) : registry_(registry) {}

  const MetricsRegistry& registry_;
  MHD_Daemon* daemon_ = nullptr;
  uint16_t port_ = 0;
  std::string url_;
  std::string last_log_;  // libmicrohttpd's last message, for start-up errors
};

}  // namespace pipec::observe
