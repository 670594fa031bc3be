// The one place `pipec run` publishes its metrics and health to. Each
// publisher (a pipeline, the run itself) replaces its own snapshot — built on
// its own thread — and the HTTP thread renders the latest snapshots on a
// scrape. Publishing and scraping only swap/copy shared pointers under a
// mutex, so a scrape never waits for a pipeline and a pipeline never waits
// for a scrape.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "runtime/observe/metric_set.h"

namespace pipec::observe {

struct Health {
  bool healthy = true;
  std::string reason;  // why not, e.g. "pipeline 'orders' failed: ..."
};

class MetricsRegistry {
 public:
  // Replaces what `publisher` published before (the first publish fixes its
  // place in the output).
  void publish(const std::string& publisher, MetricSet metrics, Health health = {});

  // Every publisher's latest metrics, merged family by family.
  MetricSet snapshot() const;
  std::string render() const { return render_prometheus(snapshot()); }
  // Healthy when every publisher is; the reasons of those that are not.
  Health health() const;

 private:
  struct Entry {
    std::shared_ptr<const MetricSet> metrics;
    Health health;
  };
  mutable std::mutex mu_;
  std::vector<std::string> order_;
  std::map<std::string, Entry> entries_;
};

}  // namespace pipec::observe
