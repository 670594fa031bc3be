#include "runtime/observe/metrics_server.h"

#include <netdb.h>
#include <sys/socket.h>

#include <cstdarg>
#include <cstring>

#include <fmt/format.h>
#include <microhttpd.h>

namespace pipec::observe {

namespace {

struct Reply {
  unsigned status;
  std::string body;
  const char* content_type;
};

Reply route(const MetricsRegistry& registry, std::string_view method, std::string_view url) {
  if (method != "GET" && method != "HEAD") return {MHD_HTTP_METHOD_NOT_ALLOWED, "only GET\n", "text/plain"};
  if (url == "/metrics") return {MHD_HTTP_OK, registry.render(), kPrometheusContentType};
  if (url == "/health") {
    Health h = registry.health();
    return h.healthy ? Reply{MHD_HTTP_OK, "ok\n", "text/plain"}
                     : Reply{MHD_HTTP_SERVICE_UNAVAILABLE, "unhealthy: " + h.reason + "\n", "text/plain"};
  }
  if (url == "/") return {MHD_HTTP_OK, "pipec run: GET /metrics (Prometheus), GET /health\n", "text/plain"};
  return {MHD_HTTP_NOT_FOUND, "not found: GET /metrics or /health\n", "text/plain"};
}

MHD_Result answer(void* cls, MHD_Connection* connection, const char* url, const char* method, const char*,
                  const char*, size_t* upload_size, void**) {
  if (*upload_size) {  // a request body: not ours to read
    *upload_size = 0;
    return MHD_YES;
  }
  Reply reply = route(*static_cast<const MetricsRegistry*>(cls), method, url);
  MHD_Response* response =
      MHD_create_response_from_buffer(reply.body.size(), reply.body.data(), MHD_RESPMEM_MUST_COPY);
  if (!response) return MHD_NO;
  MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, reply.content_type);
  MHD_Result queued = MHD_queue_response(connection, reply.status, response);
  MHD_destroy_response(response);
  return queued;
}

void keep_log(void* cls, const char* format, va_list args) {
  char text[512];
  std::vsnprintf(text, sizeof text, format, args);
  std::string& last = *static_cast<std::string*>(cls);
  last = text;
  while (!last.empty() && (last.back() == '\n' || last.back() == '.')) last.pop_back();
}

// "host:port", "[v6]:port", ":port" -> host ("" for any) and port.
bool split_address(const std::string& address, std::string* host, std::string* port) {
  size_t colon = address.rfind(':');
  if (colon == std::string::npos || colon + 1 == address.size()) return false;
  *port = address.substr(colon + 1);
  *host = address.substr(0, colon);
  if (host->size() >= 2 && host->front() == '[' && host->back() == ']') *host = host->substr(1, host->size() - 2);
  return port->find_first_not_of("0123456789") == std::string::npos && port->size() <= 5;
}

}  // namespace

std::unique_ptr<MetricsServer> MetricsServer::start(const std::string& address, const MetricsRegistry& registry,
                                                    std::string* error) {
  std::string host, port;
  if (!split_address(address, &host, &port)) {
    *error = fmt::format("--metrics-addr expects HOST:PORT (e.g. 127.0.0.1:9464 or :9464), got '{}'", address);
    return nullptr;
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  if (int rc = getaddrinfo(host.empty() ? nullptr : host.c_str(), port.c_str(), &hints, &found); rc != 0) {
    *error = fmt::format("--metrics-addr {}: {}", address, gai_strerror(rc));
    return nullptr;
  }
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> owner(found, &freeaddrinfo);

  std::unique_ptr<MetricsServer> server(new MetricsServer(registry));
  unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
  if (found->ai_family == AF_INET6) flags |= MHD_USE_IPv6;
  server->daemon_ = MHD_start_daemon(
      flags, 0, nullptr, nullptr, &answer, const_cast<MetricsRegistry*>(&registry), MHD_OPTION_SOCK_ADDR,
      found->ai_addr, MHD_OPTION_EXTERNAL_LOGGER, &keep_log, &server->last_log_, MHD_OPTION_CONNECTION_TIMEOUT,
      10u, MHD_OPTION_END);
  if (!server->daemon_) {
    *error = fmt::format("--metrics-addr {}: cannot listen: {}", address,
                         server->last_log_.empty() ? std::strerror(errno) : server->last_log_);
    return nullptr;
  }
  const MHD_DaemonInfo* info = MHD_get_daemon_info(server->daemon_, MHD_DAEMON_INFO_BIND_PORT);
  server->port_ = info ? info->port : 0;
  std::string shown = host.empty() ? "0.0.0.0" : host;
  if (found->ai_family == AF_INET6) shown = "[" + shown + "]";
  server->url_ = fmt::format("http://{}:{}", shown, server->port_);
  return server;
}

MetricsServer::~MetricsServer() {
  if (daemon_) MHD_stop_daemon(daemon_);
}

}  // namespace pipec::observe
