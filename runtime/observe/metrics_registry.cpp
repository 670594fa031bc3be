#include "runtime/observe/metrics_registry.h"

namespace pipec::observe {

void MetricsRegistry::publish(const std::string& publisher, MetricSet metrics, Health health) {
  auto shared = std::make_shared<const MetricSet>(std::move(metrics));
  std::shared_ptr<const MetricSet> previous;  // destroyed outside the lock
  std::lock_guard lock(mu_);
  auto [it, inserted] = entries_.try_emplace(publisher);
  if (inserted) order_.push_back(publisher);
  previous = std::exchange(it->second.metrics, std::move(shared));
  it->second.health = std::move(health);
}

MetricSet MetricsRegistry::snapshot() const {
  std::vector<std::shared_ptr<const MetricSet>> sets;
  {
    std::lock_guard lock(mu_);
    for (const auto& name : order_) sets.push_back(entries_.at(name).metrics);
  }
  MetricSet merged;
  for (const auto& s : sets) merged.merge(*s);
  return merged;
}

Health MetricsRegistry::health() const {
  std::lock_guard lock(mu_);
  Health all;
  for (const auto& name : order_) {
    const Health& h = entries_.at(name).health;
    if (h.healthy) continue;
    all.healthy = false;
    all.reason += (all.reason.empty() ? "" : "; ") + h.reason;
  }
  return all;
}

}  // namespace pipec::observe
