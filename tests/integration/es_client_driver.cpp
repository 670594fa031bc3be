// Drives the Elasticsearch sink's BulkClient and IndexAdmin against a real
// OpenSearch for tests/integration/test_es_client.py, playing the executor:
// it encodes documents, submits them with tickets, pauses "its sources" while
// the client says paused(), and checks that every ticket is reported exactly
// once. Prints one JSON object on stdout.
//
//   es_client_driver load  --hosts URL --index NAME --docs N [options]
//   es_client_driver admin OP ARGS...   (see run_admin)
//
// load options:
//   --start S          first document number (default 0)
//   --id-prefix P      _id = P + number (default "doc-"); --no-ids: no _id
//   --version V        value of the "v" field (default "v1")
//   --action A         index | create (default index)
//   --bad-every K      every K-th document has a string in the long field "id"
//   --pad B            bytes of padding per document (default 100)
//   --batch R          documents per submitted request (default 1000)
//   --rate D           at most D documents per second (default: unlimited)
//   --set KEY=VALUE    a sink option (bulk.max-bytes, retry.max-attempts, ...)
//   --request-timeout-ms, --breaker-threshold, --probe-ms, --max-probe-ms,
//   --host-down-ms     client settings that are not sink options
//   --seed N           jitter seed (default 1)
//   --flush-timeout-s  how long the final flush may take (default 300)
//   --dead-letters F   write every dead letter as a JSON line to F
//   --progress         a status line on stderr every second
// Exit status: 0 when every ticket was reported exactly once, 3 otherwise,
// 2 for a usage error, 4 for a flush that timed out.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "runtime/common/json_writer.h"
#include "runtime/sinks/elasticsearch/bulk_client.h"
#include "runtime/sinks/elasticsearch/index_admin.h"

using namespace pipec;
using namespace pipec::es;
using clk = std::chrono::steady_clock;

namespace {

[[noreturn]] void usage(const std::string& msg) {
  std::cerr << "es_client_driver: " << msg << "\n";
  std::exit(2);
}

struct LoadArgs {
  EsOptionMap options;
  uint64_t docs = 0, start = 0;
  std::string id_prefix = "doc-";
  bool ids = true;
  std::string version = "v1", action = "index";
  uint64_t bad_every = 0;
  size_t pad = 100, batch = 1000;
  double rate = 0;
  int64_t request_timeout_ms = -1, breaker_threshold = -1, probe_ms = -1, max_probe_ms = -1, host_down_ms = -1;
  uint64_t seed = 1;
  int flush_timeout_s = 300;
  std::string dead_letters_path;
  bool progress = false;
};

void stats_json(JsonWriter& w, const BulkClientStats& s) {
  w.begin_object();
  w.field("requests_sent", s.requests_sent).field("requests_answered", s.requests_answered);
  w.field("requests_failed", s.requests_failed).field("requests_split", s.requests_split);
  w.field("transport_errors", s.transport_errors).field("responses_429", s.responses_429);
  w.field("bytes_sent", s.bytes_sent).field("bytes_uncompressed", s.bytes_uncompressed);
  w.field("items_submitted", s.items_submitted).field("items_acked", s.items_acked);
  w.field("items_conflicts", s.items_conflicts).field("items_retried", s.items_retried);
  w.field("items_rejected_429", s.items_rejected_429).field("items_dead_lettered", s.items_dead_lettered);
  w.field("items_gave_up", s.items_gave_up).field("submits_refused", s.submits_refused);
  w.field("breaker_opened", s.breaker_opened).field("health_probes", s.health_probes);
  w.field("breaker", breaker_state_name(s.breaker));
  w.field("buffered_bytes", s.buffered_bytes).field("max_buffered_bytes", s.max_buffered_bytes);
  w.field("latency_count", s.latency.count).field("latency_sum_ms", s.latency.sum_ms);
  w.key("latency_buckets").begin_array();
  for (size_t i = 0; i < s.latency.buckets.size(); ++i) {
    w.begin_object();
    w.field("le", i < LatencyHistogram::kBoundsMs.size() ? fmt::format("{}", LatencyHistogram::kBoundsMs[i]) : "+Inf");
    w.field("count", s.latency.cumulative(i));
    w.end_object();
  }
  w.end_array();
  w.field("last_error", s.last_error);
  w.end_object();
}

std::string document(const LoadArgs& a, const std::string& index, uint64_t n) {
  std::string out = fmt::format(R"({{"{}":{{"_index":"{}")", a.action, index);
  if (a.ids) out += fmt::format(R"(,"_id":"{}{}")", a.id_prefix, n);
  out += "}}\n";
  bool bad = a.bad_every && n % a.bad_every == a.bad_every - 1;
  if (bad) out += fmt::format(R"({{"id":"bad-{}","name":"n{}","v":"{}","pad":"{}"}})", n, n % 7, a.version, std::string(a.pad, 'x'));
  else out += fmt::format(R"({{"id":{},"name":"n{}","v":"{}","pad":"{}"}})", n, n % 7, a.version, std::string(a.pad, 'x'));
  out += "\n";
  return out;
}

int run_load(int argc, char** argv) {
  LoadArgs a;
  std::string hosts, index;
  for (int i = 2; i < argc; ++i) {
    std::string k = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) usage(k + " needs a value");
      return argv[++i];
    };
    if (k == "--hosts") hosts = next();
    else if (k == "--index") index = next();
    else if (k == "--docs") a.docs = std::stoull(next());
    else if (k == "--start") a.start = std::stoull(next());
    else if (k == "--id-prefix") a.id_prefix = next();
    else if (k == "--no-ids") a.ids = false;
    else if (k == "--version") a.version = next();
    else if (k == "--action") a.action = next();
    else if (k == "--bad-every") a.bad_every = std::stoull(next());
    else if (k == "--pad") a.pad = std::stoull(next());
    else if (k == "--batch") a.batch = std::max<size_t>(1, std::stoull(next()));
    else if (k == "--rate") a.rate = std::stod(next());
    else if (k == "--set") {
      std::string kv = next();
      size_t eq = kv.find('=');
      if (eq == std::string::npos) usage("--set needs KEY=VALUE");
      a.options[kv.substr(0, eq)] = kv.substr(eq + 1);
    } else if (k == "--request-timeout-ms") a.request_timeout_ms = std::stoll(next());
    else if (k == "--breaker-threshold") a.breaker_threshold = std::stoll(next());
    else if (k == "--probe-ms") a.probe_ms = std::stoll(next());
    else if (k == "--max-probe-ms") a.max_probe_ms = std::stoll(next());
    else if (k == "--host-down-ms") a.host_down_ms = std::stoll(next());
    else if (k == "--seed") a.seed = std::stoull(next());
    else if (k == "--flush-timeout-s") a.flush_timeout_s = std::stoi(next());
    else if (k == "--dead-letters") a.dead_letters_path = next();
    else if (k == "--progress") a.progress = true;
    else usage("unknown option " + k);
  }
  if (hosts.empty() || index.empty()) usage("load needs --hosts and --index");
  a.options["hosts"] = hosts;
  a.options["index"] = index;
  EsConfig config = parse_es_config(a.options);
  if (a.request_timeout_ms > 0) config.request_timeout_ms = a.request_timeout_ms;
  if (a.breaker_threshold > 0) config.breaker_failure_threshold = static_cast<int>(a.breaker_threshold);
  if (a.probe_ms > 0) config.breaker_probe_interval_ms = a.probe_ms;
  if (a.max_probe_ms > 0) config.breaker_max_probe_interval_ms = a.max_probe_ms;
  if (a.host_down_ms > 0) config.host_down_ms = a.host_down_ms;

  // reports[t]: how many times ticket t was reported (must end at exactly 1).
  std::vector<uint8_t> reports(a.docs, 0);
  uint64_t acked = 0, dead = 0, over_reported = 0, unknown = 0;
  std::vector<std::pair<Ticket, std::string>> dead_letters;
  BulkClientCallbacks cb;
  cb.on_ack = [&](Ticket t) {
    if (t >= a.docs) { ++unknown; return; }
    if (++reports[t] > 1) ++over_reported;
    ++acked;
  };
  cb.on_dead_letter = [&](Ticket t, std::string_view reason) {
    if (t >= a.docs) { ++unknown; return; }
    if (++reports[t] > 1) ++over_reported;
    ++dead;
    dead_letters.emplace_back(t, std::string(reason));
  };
  BulkClient client(config, cb, make_splitmix64(a.seed));

  clk::time_point t0 = clk::now(), last_progress = t0;
  double paused_s = 0;
  uint64_t pause_episodes = 0;
  size_t max_request_bytes = 0;
  auto progress = [&](bool force) {
    if (!a.progress) return;
    clk::time_point now = clk::now();
    if (!force && now - last_progress < std::chrono::seconds(1)) return;
    last_progress = now;
    BulkClientStats s = client.stats();
    std::cerr << fmt::format("[driver {:.1f}s] submitted {} acked {} dead {} buffered {}B breaker {} paused {:.1f}s {}\n",
                             std::chrono::duration<double>(now - t0).count(), s.items_submitted, acked, dead,
                             s.buffered_bytes, breaker_state_name(s.breaker), paused_s, s.last_error);
  };

  uint64_t n = 0;
  while (n < a.docs) {
    // The executor's loop: pause the sources while the sink says so.
    if (client.paused()) {
      ++pause_episodes;
      clk::time_point p0 = clk::now();
      while (client.paused()) {
        client.poll(std::chrono::milliseconds(50));
        progress(false);
      }
      paused_s += std::chrono::duration<double>(clk::now() - p0).count();
    }
    std::string body;
    std::vector<size_t> ends;
    std::vector<Ticket> tickets;
    uint64_t end = std::min(a.docs, n + a.batch);
    for (; n < end; ++n) {
      body += document(a, index, a.start + n);
      ends.push_back(body.size());
      tickets.push_back(n);
    }
    max_request_bytes = std::max(max_request_bytes, body.size());
    BulkRequest r = BulkRequest::from_encoded(body, ends, tickets);
    while (true) {
      SubmitResult res = client.try_submit(r);
      if (res == SubmitResult::Accepted) break;
      if (res == SubmitResult::Closed) usage("client closed");
      clk::time_point p0 = clk::now();
      client.poll(std::chrono::milliseconds(50));
      paused_s += std::chrono::duration<double>(clk::now() - p0).count();
    }
    client.poll();
    progress(false);
    if (a.rate > 0) {
      auto due = t0 + std::chrono::duration_cast<clk::duration>(std::chrono::duration<double>(n / a.rate));
      while (clk::now() < due) {
        client.poll(std::chrono::duration_cast<std::chrono::milliseconds>(due - clk::now()) + std::chrono::milliseconds(1));
      }
    }
  }
  bool flushed = client.flush(std::chrono::seconds(a.flush_timeout_s));
  progress(true);
  double elapsed = std::chrono::duration<double>(clk::now() - t0).count();
  BulkClientStats s = client.stats();
  client.close();

  uint64_t missing = 0;
  for (uint8_t r : reports) missing += r == 0;
  if (!a.dead_letters_path.empty()) {
    std::ofstream f(a.dead_letters_path);
    for (auto& [t, reason] : dead_letters) {
      JsonWriter w(false);
      w.begin_object().field("ticket", static_cast<uint64_t>(t)).field("reason", reason).end_object();
      f << w.str() << "\n";
    }
  }
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);

  JsonWriter w(false);
  w.begin_object();
  w.field("docs", a.docs).field("acked", acked).field("dead", dead);
  w.field("missing", missing).field("over_reported", over_reported).field("unknown", unknown);
  w.field("flushed", flushed).field("elapsed_s", elapsed);
  w.field("docs_per_s", elapsed > 0 ? static_cast<double>(a.docs) / elapsed : 0.0);
  w.field("paused_s", paused_s).field("pause_episodes", pause_episodes);
  w.field("max_submitted_request_bytes", static_cast<uint64_t>(max_request_bytes));
  w.field("max_rss_kb", static_cast<int64_t>(ru.ru_maxrss));
  w.field("buffer_limit", static_cast<uint64_t>(config.retry_max_buffered_bytes));
  w.key("dead_letter_sample").begin_array();
  for (size_t i = 0; i < dead_letters.size() && i < 20; ++i) {
    w.begin_object().field("ticket", static_cast<uint64_t>(dead_letters[i].first)).field("reason", dead_letters[i].second).end_object();
  }
  w.end_array();
  w.key("stats");
  stats_json(w, s);
  w.end_object();
  std::cout << w.str() << std::endl;
  if (!flushed) return 4;
  return (missing == 0 && over_reported == 0 && unknown == 0) ? 0 : 3;
}

// admin OP: each prints {"ok":true,...} or {"ok":false,"status":..,"type":..,"error":..}.
int run_admin(int argc, char** argv) {
  if (argc < 4) usage("admin needs --hosts URL and an operation");
  std::string hosts;
  std::vector<std::string> args;
  for (int i = 2; i < argc; ++i) {
    if (std::string(argv[i]) == "--hosts" && i + 1 < argc) hosts = argv[++i];
    else args.push_back(argv[i]);
  }
  if (hosts.empty() || args.empty()) usage("admin needs --hosts URL and an operation");
  EsConfig config = parse_es_config({{"hosts", hosts}});
  IndexAdmin admin(config);
  auto arg = [&](size_t i) -> const std::string& {
    if (i >= args.size()) usage("admin " + args[0] + ": missing argument");
    return args[i];
  };
  JsonWriter w(false);
  w.begin_object();
  try {
    const std::string& op = args[0];
    if (op == "create-index") {  // NAME MAPPINGS [SHARDS REPLICAS REFRESH]
      IndexSettings s;
      if (args.size() > 3) s.shards = std::stoi(args[3]);
      if (args.size() > 4) s.replicas = std::stoi(args[4]);
      if (args.size() > 5) s.refresh_interval = args[5];
      admin.create_index(arg(1), s, arg(2));
    } else if (op == "delete-index") {
      admin.delete_index(arg(1));
    } else if (op == "exists") {
      w.field("exists", admin.index_exists(arg(1)));
    } else if (op == "put-template") {  // NAME PATTERN MAPPINGS
      IndexSettings s;
      s.replicas = 0;
      admin.put_index_template(arg(1), {arg(2)}, s, arg(3));
    } else if (op == "delete-template") {
      admin.delete_index_template(arg(1));
    } else if (op == "aliases") {
      w.key("indices").begin_array();
      for (const std::string& i : admin.indices_for_alias(arg(1))) w.value(i);
      w.end_array();
    } else if (op == "add-alias") {
      admin.add_alias(arg(1), arg(2));
    } else if (op == "remove-alias") {
      admin.remove_alias(arg(1), arg(2));
    } else if (op == "swap-alias") {  // ALIAS NEW [TIMES NEW2]: alternate TIMES swaps between NEW and NEW2
      int times = args.size() > 3 ? std::stoi(args[3]) : 1;
      std::vector<std::string> removed;
      for (int k = 0; k < times; ++k) {
        const std::string& target = (k % 2 == 0) ? arg(2) : arg(4);
        removed = admin.swap_alias(arg(1), target);
      }
      w.key("removed").begin_array();
      for (const std::string& i : removed) w.value(i);
      w.end_array();
    } else if (op == "begin-load") {
      SavedLoadSettings saved = admin.begin_bulk_load(arg(1));
      w.field("refresh_interval", saved.refresh_interval).field("number_of_replicas", saved.number_of_replicas);
    } else if (op == "end-load") {  // INDEX REFRESH REPLICAS ("" = unset)
      admin.end_bulk_load(arg(1), SavedLoadSettings{arg(2), arg(3)});
    } else if (op == "refresh") {
      admin.refresh(arg(1));
    } else if (op == "forcemerge") {
      admin.force_merge(arg(1), args.size() > 2 ? std::stoi(args[2]) : 1);
    } else if (op == "count") {
      w.field("count", admin.count(arg(1), args.size() > 2 ? args[2] : std::string()));
    } else if (op == "prepare") {  // INDEX MODE MAPPINGS: what the sink does at start-up for index.create
      EsConfig c = parse_es_config({{"hosts", hosts}, {"index", arg(1)}, {"index.create", arg(2)}, {"index.replicas", "0"}});
      w.field("did", prepare_index(admin, c, arg(3)).did);
    } else if (op == "health") {
      w.field("status", admin.cluster_health());
    } else {
      usage("unknown admin operation " + op);
    }
    w.field("ok", true);
  } catch (const EsAdminError& e) {
    w.field("ok", false).field("status", static_cast<int64_t>(e.status)).field("type", e.type).field("error", std::string(e.what()));
  } catch (const std::exception& e) {
    w.field("ok", false).field("status", static_cast<int64_t>(-1)).field("type", "").field("error", std::string(e.what()));
  }
  w.end_object();
  std::cout << w.str() << std::endl;
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) usage("load | admin");
  std::string cmd = argv[1];
  try {
    if (cmd == "load") return run_load(argc, argv);
    if (cmd == "admin") return run_admin(argc, argv);
  } catch (const std::exception& e) {
    usage(e.what());
  }
  usage("unknown command " + cmd);
}
