#include "runtime/exec/batch_load.h"

#include <simdjson.h>

#include <algorithm>
#include <cmath>
#include <chrono>
#include <map>

#include <fmt/format.h>

#include "compiler/diagnostics/diagnostic.h"
#include "runtime/common/json_writer.h"
#include "runtime/delivery/dead_letter_queue.h"
#include "runtime/exec/operator_chain.h"
#include "runtime/exec/progress.h"
#include "runtime/sinks/elasticsearch/index_admin.h"
#include "runtime/sinks/elasticsearch/index_versions.h"
#include "runtime/sinks/es_sink_operator.h"

namespace pipec {

namespace {

std::string percent(double rate) { return fmt::format("{:.2f}%", rate * 100); }

bool is_es(const SinkDef& sink) { return sink.connector == "elasticsearch" || sink.connector == "opensearch"; }

const LogicalSink* sink_of(const LogicalPipeline& plan) {
  return plan.root && plan.root->type == LogicalOperatorType::Sink ? static_cast<const LogicalSink*>(plan.root.get())
                                                                     : nullptr;
}

double ms_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

std::string show_ms(double ms) { return ms >= 1000 ? fmt::format("{:.2f} s", ms / 1000) : fmt::format("{:.0f} ms", ms); }

}  // namespace

// ---------------------------------------------------------------- validation

ValidationCheck check_count_change(uint64_t indexed, const std::string& live_index, std::optional<uint64_t> live_count,
                                   double max_change) {
  if (!live_count) return {"previous", true, "no live version to compare with (the first load)"};
  double change = *live_count ? (static_cast<double>(indexed) - static_cast<double>(*live_count)) /
                                    static_cast<double>(*live_count)
                              : (indexed ? 1.0 : 0.0);
  return {"previous", std::abs(change) <= max_change + 1e-12,
          fmt::format("{} documents, {} in the live version {}: {}{}, at most \u00b1{}", group_digits(indexed),
                      group_digits(*live_count), live_index, change >= 0 ? "+" : "-", percent(std::abs(change)),
                      percent(max_change))};
}

std::vector<ValidationCheck> check_counts(const LoadCounts& c) {
  std::vector<ValidationCheck> out;
  ValidationCheck sink{"sink", c.rejected == 0 && c.unacknowledged == 0,
                       fmt::format("{} sent, {} rejected by the cluster, {} unanswered", group_digits(c.sent),
                                   group_digits(c.rejected), group_digits(c.unacknowledged))};
  out.push_back(sink);

  ValidationCheck docs{"documents", true, ""};
  if (c.aggregating) {
    uint64_t expected = c.sent - std::min(c.sent, c.rejected);
    docs.ok = c.acknowledged == expected;
    docs.detail = fmt::format("aggregating pipeline: {} acknowledged of {} sent", group_digits(c.acknowledged),
                              group_digits(c.sent));
  } else {
    int64_t expected = static_cast<int64_t>(c.events_in) - static_cast<int64_t>(c.filtered) -
                       static_cast<int64_t>(c.deduplicated) - static_cast<int64_t>(c.join_misses) -
                       static_cast<int64_t>(c.dropped) - static_cast<int64_t>(c.dead_lettered);
    docs.ok = expected >= 0 && static_cast<uint64_t>(expected) == c.acknowledged;
    std::string terms = group_digits(c.events_in) + " events in";
    auto minus = [&](uint64_t n, const char* what) {
      if (n) terms += fmt::format(" - {} {}", group_digits(n), what);
    };
    minus(c.filtered, "filtered");
    minus(c.deduplicated, "duplicates");
    minus(c.join_misses, "join misses");
    minus(c.dropped, "dropped");
    minus(c.dead_lettered, "dead letters");
    docs.detail = fmt::format("{} = {}, {} acknowledged", terms, expected, group_digits(c.acknowledged));
  }
  if (c.acknowledged == 0) {
    docs.ok = false;
    docs.detail += " (an empty load never replaces the alias)";
  }
  out.push_back(docs);

  ValidationCheck indexed{"indexed", c.indexed == c.acknowledged,
                          fmt::format("{} in the index, {} acknowledged", group_digits(c.indexed),
                                      group_digits(c.acknowledged))};
  if (c.indexed < c.acknowledged)
    indexed.detail += " (documents with the same _id overwrote each other: is 'document.id' unique in the input?)";
  out.push_back(indexed);
  return out;
}

ValidationCheck check_pass_rate(const ConstraintRate& r) {
  ValidationCheck out;
  out.name = "constraint " + r.name;
  out.ok = r.rate() >= r.min_rate;
  out.detail = fmt::format("{} ({}): {} pass ({} of {} violate), minimum {}", r.name, r.owner, percent(r.rate()),
                           group_digits(r.violations), group_digits(r.checked), percent(r.min_rate));
  return out;
}

std::vector<ConstraintRate> pass_rates(const std::deque<ConstraintStats>& constraints, const es::EsConfig& config) {
  std::vector<ConstraintRate> out;
  for (const auto& c : constraints) {
    auto it = config.batch_min_pass_rate_by_constraint.find(c.name);
    double min_rate = it != config.batch_min_pass_rate_by_constraint.end() ? it->second : config.batch_min_pass_rate;
    out.push_back({c.owner, c.name, c.violations, c.checked, min_rate});
  }
  return out;
}

// ---------------------------------------------------------------- orchestration

struct BatchLoad::Target {
  SinkDef* sink = nullptr;
  es::EsConfig config;
  std::string alias;
  std::string index;                 // the new version
  std::vector<std::string> before;   // what the alias pointed at
  bool swapped = false;
  std::string report;
};

BatchLoad::BatchLoad() = default;
BatchLoad::~BatchLoad() = default;

std::string BatchLoad::prepare(BoundScript& bound, const std::vector<LogicalPipeline>& plans) {
  // Which pipelines write into which elasticsearch sink.
  std::map<const SinkDef*, std::vector<const LogicalPipeline*>> feeds;
  for (const auto& p : plans) {
    const LogicalSink* s = sink_of(p);
    if (!s || !s->sink || !is_es(*s->sink)) continue;
    feeds[s->sink].push_back(&p);
    const RelationDef* source = p.def ? p.def->source : nullptr;
    if (source && source->connector == "kafka" && !source->options.find("scan.stop.timestamp-millis"))
      return fmt::format("pipeline '{}' reads the Kafka source '{}', which never ends: a batch load needs a finite "
                         "input (a file source, or 'scan.stop.timestamp-millis')",
                         p.name, source->name);
  }
  if (feeds.empty())
    return "--batch loads elasticsearch/opensearch sinks into a new index version, but no pipeline writes to one";

  for (auto& [def, pipelines] : feeds) {
    auto t = std::make_unique<Target>();
    for (auto& s : bound.sinks)
      if (s.get() == def) t->sink = s.get();
    t->alias = def->index;
    if (t->alias.find('{') != std::string::npos)
      return fmt::format("sink '{}': index '{}' has placeholders; --batch needs a fixed name (the alias to swap)",
                         def->name, t->alias);
    try {
      t->config = es::parse_es_config(resolved_es_options(*def));
    } catch (const std::exception& e) {
      return fmt::format("sink '{}': {}", def->name, e.what());
    }
    // Per-constraint thresholds must name a constraint of a feeding pipeline.
    std::vector<std::string> constraints;
    for (const LogicalPipeline* p : pipelines) {
      if (!p->def) continue;
      for (const auto& c : p->def->constraints) constraints.push_back(c.name);
      if (p->def->source)
        for (const auto& c : p->def->source->constraints) constraints.push_back(c.name);
    }
    for (const auto& [name, rate] : t->config.batch_min_pass_rate_by_constraint) {
      if (std::find(constraints.begin(), constraints.end(), name) != constraints.end()) continue;
      std::string m = closest_match(name, constraints);
      return fmt::format("sink '{}': option 'batch.min-pass-rate.{}' names no constraint of the pipelines writing to "
                         "it{}",
                         def->name, name, m.empty() ? "" : " (did you mean '" + m + "'?)");
    }

    auto start = std::chrono::steady_clock::now();
    std::string where = fmt::format("sink '{}' ({})", def->name, t->config.hosts.front());
    try {
      es::IndexAdmin admin(t->config);
      t->before = admin.indices_for_alias(t->alias);
      if (t->before.empty() && admin.index_exists(t->alias))
        return fmt::format("{}: '{}' is a concrete index, not an alias; --batch needs that name for the alias (move "
                           "its data into a version, e.g. with _reindex, and delete it)",
                           where, t->alias);
      std::vector<std::string> names;
      for (const auto& v : es::list_versions(admin, t->alias)) names.push_back(v.index);
      t->index = es::new_version_name(t->alias, wall_clock_millis(), names);
      es::IndexSettings load;
      load.shards = t->config.index_shards;
      load.replicas = 0;
      load.refresh_interval = "-1";
      admin.create_index(t->index, load, sink_mapping(*pipelines.front(), *def));
    } catch (const std::exception& e) {
      return fmt::format("{}: cannot prepare the new version of alias '{}': {}", where, t->alias, e.what());
    }
    t->report = fmt::format("batch load of alias '{}' (sink '{}') into {}:\n", t->alias, def->name, t->index);
    t->report += fmt::format("  {:<12} {:>8}  {} ({} shard(s); 0 replicas, refresh off during the load)\n", "create",
                             show_ms(ms_since(start)), t->index, t->config.index_shards);
    // The sink now writes into the version; it must not create anything itself.
    t->sink->index = t->index;
    auto& options = t->sink->options.options;
    auto it = std::find_if(options.begin(), options.end(), [](const OptionInfo& o) { return o.key == "index.create"; });
    if (it == options.end()) it = options.insert(options.end(), OptionInfo{"index.create", "", false});
    it->value = "none";
    targets_.push_back(std::move(t));
  }
  return "";
}

size_t BatchLoad::sample_size(const LogicalPipeline& plan) const {
  const LogicalSink* s = sink_of(plan);
  for (const auto& t : targets_)
    if (s && s->sink == t->sink) return static_cast<size_t>(t->config.batch_sample_size);
  return 0;
}

bool BatchLoad::finish(const std::vector<std::unique_ptr<PipelineRunner>>& runners, bool stopped) {
  bool all = true;
  for (auto& t : targets_) {
    std::vector<const PipelineRunner*> feeding;
    for (const auto& r : runners) {
      const LogicalSink* s = sink_of(r->plan());
      if (s && s->sink == t->sink) feeding.push_back(r.get());
    }
    finish_one(*t, feeding, stopped);
    report_ += t->report;
    all &= t->swapped;
  }
  return all;
}

void BatchLoad::finish_one(Target& t, const std::vector<const PipelineRunner*>& runners, bool stopped) {
  std::vector<std::string> failures;
  auto step = [&](const char* name, std::chrono::steady_clock::time_point start, const std::string& detail) {
    t.report += fmt::format("  {:<12} {:>8}  {}\n", name, show_ms(ms_since(start)), detail);
  };

  // ---- what the run did
  LoadCounts counts;
  std::vector<ConstraintRate> rates;
  std::vector<es::SentDocument> sample;
  double load_seconds = 0;
  for (const PipelineRunner* r : runners) {
    const PipelineStats& s = r->context().stats;
    load_seconds = std::max(load_seconds, r->seconds());
    if (r->status() != RunStatus::Ok)
      failures.push_back(fmt::format("pipeline '{}' {}{}", r->plan().name, run_status_name(r->status()),
                                     r->error().empty() ? "" : ": " + r->error()));
    counts.events_in += s.records_in.load();
    counts.filtered += s.filtered;
    counts.deduplicated += s.deduplicated;
    counts.join_misses += s.join_misses;
    counts.dead_lettered += r->dead_letters() ? r->dead_letters()->total() : 0;
    counts.sent += s.documents_out.load();
    counts.aggregating |= r->plan().def && r->plan().def->grouped();
    const auto* sink = dynamic_cast<const EsSinkOperator*>(r->sink());
    if (sink) {
      counts.acknowledged += sink->acknowledged();
      counts.rejected += sink->rejected_by_server();
      counts.unacknowledged += sink->in_flight();
      const auto& docs = sink->sample().documents();
      sample.insert(sample.end(), docs.begin(), docs.end());
    }
    for (const auto& c : s.constraints)
      if (c.action == ViolationAction::DropRow) counts.dropped += c.violations;
    std::vector<ConstraintRate> run_rates = pass_rates(s.constraints, t.config);
    rates.insert(rates.end(), run_rates.begin(), run_rates.end());
  }
  if (stopped) failures.push_back("the run was interrupted");
  t.report += fmt::format("  {:<12} {:>8}  {} documents sent, {} acknowledged\n", "load", show_ms(load_seconds * 1000),
                          group_digits(counts.sent), group_digits(counts.acknowledged));

  bool& swapped = t.swapped;
  bool deleted = false;
  try {
    es::IndexAdmin admin(t.config);
    auto start = std::chrono::steady_clock::now();
    if (failures.empty()) {
      admin.refresh(t.index);
      counts.indexed = admin.count(t.index);
      step("refresh", start, fmt::format("{} documents searchable", group_digits(counts.indexed)));

      // ---- validation
      start = std::chrono::steady_clock::now();
      std::vector<ValidationCheck> checks = check_counts(counts);
      for (const auto& r : rates) checks.push_back(check_pass_rate(r));
      if (t.config.batch_max_count_change) {
        std::optional<uint64_t> live_count;
        if (!t.before.empty()) {
          live_count = 0;
          for (const auto& index : t.before) *live_count += admin.count(index);
        }
        checks.push_back(check_count_change(counts.indexed, t.before.empty() ? "" : t.before.front(), live_count,
                                            *t.config.batch_max_count_change));
      }
      if (!sample.empty()) {
        std::string ids;
        for (const auto& d : sample) ids += (ids.empty() ? "" : ",") + ("\"" + d.id + "\"");
        es::HttpResponse got = admin.call("POST", "/" + es::url_encode(t.index) + "/_mget", "{\"ids\":[" + ids + "]}");
        simdjson::dom::parser parser;
        simdjson::dom::array found;
        std::map<std::string, std::string, std::less<>> indexed;
        if (!parser.parse(got.body)["docs"].get(found))
          for (auto d : found) {
            std::string_view id;
            simdjson::dom::element source;
            if (!d["_id"].get(id) && !d["_source"].get(source)) indexed[std::string(id)] = simdjson::minify(source);
          }
        size_t same = 0;
        std::string first;
        for (const auto& d : sample) {
          auto it = indexed.find(d.id);
          std::string why = it == indexed.end() ? "not in the index" : es::first_difference(d.source, it->second);
          if (why.empty()) ++same;
          else if (first.empty()) first = fmt::format("; first mismatch: _id {}: {}", d.id, why);
        }
        checks.push_back({"sample", same == sample.size(),
                          fmt::format("{} of {} random documents fetched back equal what was sent{}", same,
                                      sample.size(), first)});
      }
      for (const auto& c : checks) {
        t.report += fmt::format("    {:<4} {:<11} {}\n", c.ok ? "ok" : "FAIL",
                                c.name.rfind("constraint ", 0) == 0 ? "constraint" : c.name, c.detail);
        if (!c.ok) failures.push_back(c.name + ": " + c.detail);
      }
      step("validate", start, failures.empty() ? "passed" : fmt::format("{} check(s) failed", failures.size()));
    }
    if (failures.empty() && t.config.batch_max_segments > 0) {
      start = std::chrono::steady_clock::now();
      admin.force_merge(t.index, t.config.batch_max_segments);
      step("force-merge", start, fmt::format("max {} segment(s) per shard", t.config.batch_max_segments));
    }
    // Kept versions are searchable like any index, so settings come back
    // whatever the outcome (after the merge: replicas copy merged segments).
    if (!failures.empty() && t.config.batch_delete_failed) {
      start = std::chrono::steady_clock::now();
      admin.delete_index(t.index);
      deleted = true;
      step("delete", start, t.index + " (batch.on-failure = delete)");
    } else {
      start = std::chrono::steady_clock::now();
      es::SavedLoadSettings target{t.config.index_refresh_interval, std::to_string(t.config.index_replicas)};
      admin.end_bulk_load(t.index, target);
      step("restore", start,
           fmt::format("replicas {}, refresh interval {}", t.config.index_replicas,
                       t.config.index_refresh_interval.empty() ? "the server default" : t.config.index_refresh_interval));
    }
    if (failures.empty()) {
      start = std::chrono::steady_clock::now();
      std::vector<std::string> removed = admin.swap_alias(t.alias, t.index);
      swapped = true;
      std::string was;
      for (const auto& r : removed) was += (was.empty() ? "" : ", ") + r;
      step("swap", start, fmt::format("{} -> {} ({})", t.alias, t.index, was.empty() ? "new alias" : "was " + was));
      start = std::chrono::steady_clock::now();
      std::vector<std::string> names;
      for (const auto& v : es::list_versions(admin, t.alias)) names.push_back(v.index);
      std::vector<std::string> old = es::versions_to_delete(names, t.index, t.config.batch_keep_versions);
      for (const auto& o : old) admin.delete_index(o);
      std::string deleted;
      for (const auto& o : old) deleted += (deleted.empty() ? "" : ", ") + o;
      step("retention", start,
           fmt::format("keep {} version(s); {}", t.config.batch_keep_versions,
                       deleted.empty() ? "nothing to delete" : "deleted " + deleted));
    }
  } catch (const std::exception& e) {
    failures.push_back(fmt::format("cluster error: {}", e.what()));
  }

  std::string before = t.before.empty() ? "does not exist yet" : "still points to " + t.before.front();
  if (swapped) {
    t.report += fmt::format("  result: alias '{}' -> {}; roll back with: pipec alias rollback {} --hosts {}\n", t.alias,
                            t.index, t.alias, t.config.hosts.front());
  } else {
    t.report += fmt::format("  result: FAILED, alias '{}' {}; new index {} {}\n", t.alias, before, t.index,
                            deleted ? "deleted" : "kept for inspection");
    for (const auto& f : failures) t.report += "    failed: " + f + "\n";
  }
}

}  // namespace pipec
