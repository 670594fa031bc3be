// `pipec run --batch`: blue/green loads into Elasticsearch/OpenSearch.
//
// The `index` option of every elasticsearch/opensearch sink names an ALIAS.
// Each run loads a new version of it (runtime/sinks/elasticsearch/
// index_versions.h), then swaps the alias only if the load validates:
//
//   prepare()  the input must be finite; the alias must not be a concrete
//              index; the version is created with the schema's mapping,
//              0 replicas and refresh off; the sink is pointed at it
//   ... the pipelines run ...
//   finish()   refresh, validate (counts, constraint pass rates, a sample of
//              documents fetched back), force-merge, restore replicas and
//              refresh interval, swap the alias in one _aliases request,
//              delete versions beyond 'batch.keep-versions'
//
// Any failed check, failed or interrupted run, or cluster error leaves the
// alias where it was; the new index is kept for inspection or deleted
// ('batch.on-failure'). file/stdout sinks of the same run write as usual.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "compiler/bind/bound_script.h"
#include "compiler/plan/logical_plan.h"
#include "runtime/exec/pipeline_runner.h"
#include "runtime/sinks/elasticsearch/es_config.h"

namespace pipec {

// ---- the pure part of validation

// What the pipelines feeding one sink did, summed.
struct LoadCounts {
  uint64_t events_in = 0;      // records read (decode errors included)
  uint64_t filtered = 0;       // WHERE / HAVING
  uint64_t deduplicated = 0;
  uint64_t join_misses = 0;
  uint64_t dropped = 0;        // DROP ROW constraint violations
  uint64_t dead_lettered = 0;  // every dead letter: decode, constraints, sink
  uint64_t sent = 0;           // documents submitted to the cluster
  uint64_t acknowledged = 0;
  uint64_t rejected = 0;       // documents the cluster rejected (dead-lettered)
  uint64_t unacknowledged = 0; // still unanswered when the run ended
  uint64_t indexed = 0;        // _count of the new index after a refresh
  bool aggregating = false;    // windowed pipelines: documents are not events
};

struct ConstraintRate {
  std::string owner;  // source or pipeline
  std::string name;
  uint64_t violations = 0;
  uint64_t checked = 0;  // rows the constraint evaluated (ConstraintStats::checked)
  double min_rate = 0;
  double rate() const { return checked ? 1.0 - static_cast<double>(violations) / static_cast<double>(checked) : 1.0; }
};

struct ValidationCheck {
  std::string name;
  bool ok = true;
  std::string detail;
};

// sink (nothing rejected or unanswered), documents (acknowledged = events in
// minus what was filtered, deduplicated, unmatched, dropped or
// dead-lettered; an empty load fails), indexed (the index holds every
// acknowledged document).
std::vector<ValidationCheck> check_counts(const LoadCounts& counts);
ValidationCheck check_pass_rate(const ConstraintRate& rate);
// The canary check against the version readers see now ('batch.max-count-change'):
// the new version's document count may differ from the live one's by at most
// `max_change` (a fraction of the live count). No live version: passes.
ValidationCheck check_count_change(uint64_t indexed, const std::string& live_index, std::optional<uint64_t> live_count,
                                   double max_change);
// One run's constraints with the minimum rate the sink's options set for each.
std::vector<ConstraintRate> pass_rates(const std::deque<ConstraintStats>& constraints, const es::EsConfig& config);

// ---- the orchestration

class BatchLoad {
 public:
  BatchLoad();
  ~BatchLoad();

  // Checks the preconditions and creates the new version of each alias;
  // points the sinks of `bound` at them. Returns an error message (empty:
  // ready); on error nothing is left behind on the cluster.
  std::string prepare(BoundScript& bound, const std::vector<LogicalPipeline>& plans);
  // How many documents the sink of `plan` should sample (0: not a batch sink).
  size_t sample_size(const LogicalPipeline& plan) const;
  // After every runner ended: validates and swaps (or not) each alias.
  // `stopped`: the run was interrupted by a signal. Returns true when every
  // alias was swapped.
  bool finish(const std::vector<std::unique_ptr<PipelineRunner>>& runners, bool stopped);
  // What happened, step by step with timings (stderr).
  const std::string& report() const { return report_; }

 private:
  struct Target;
  void finish_one(Target& t, const std::vector<const PipelineRunner*>& runners, bool stopped);
  std::vector<std::unique_ptr<Target>> targets_;
  std::string report_;
};

}  // namespace pipec
