// Metrics as Prometheus sees them: families (name, HELP, TYPE) of labelled
// samples, rendered in the text exposition format 0.0.4. A MetricSet is a
// plain value: a pipeline builds one on its own thread and publishes it to
// the MetricsRegistry (metrics_registry.h), which merges the sets of every
// pipeline when /metrics is scraped.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pipec::observe {

enum class MetricType { Counter, Gauge, Histogram };

using Labels = std::vector<std::pair<std::string, std::string>>;

struct HistogramValue {
  std::vector<double> upper_bounds;  // ascending `le` bounds; +Inf is implied
  std::vector<uint64_t> cumulative;  // one per bound, then the +Inf bucket (= count)
  double sum = 0;
};

struct MetricSample {
  Labels labels;
  double value = 0;          // counters and gauges
  HistogramValue histogram;  // histograms
};

struct MetricFamily {
  std::string name;  // counters end in _total; histograms are the base name
  std::string help;
  MetricType type = MetricType::Gauge;
  std::vector<MetricSample> samples;
};

class MetricSet {
 public:
  void counter(std::string_view name, std::string_view help, Labels labels, double value);
  void gauge(std::string_view name, std::string_view help, Labels labels, double value);
  void histogram(std::string_view name, std::string_view help, Labels labels, HistogramValue value);
  // Appends the samples of `other`, family by family (same name, same type).
  void merge(const MetricSet& other);

  const std::vector<MetricFamily>& families() const { return families_; }
  // The sample of `name` with exactly these labels, or null (tests, health).
  const MetricSample* find(std::string_view name, const Labels& labels) const;

 private:
  MetricFamily& family(std::string_view name, std::string_view help, MetricType type);
  std::vector<MetricFamily> families_;
};

// The text exposition format 0.0.4 (Content-Type text/plain; version=0.0.4).
std::string render_prometheus(const MetricSet& set);
inline constexpr const char* kPrometheusContentType = "text/plain; version=0.0.4; charset=utf-8";

// Label values escape \ " and newline; HELP text escapes \ and newline.
std::string escape_label_value(std::string_view value);
std::string escape_help(std::string_view help);
// Integers exactly ("42"), others shortest round-trip; "+Inf", "-Inf", "NaN".
std::string format_sample_value(double v);

}  // namespace pipec::observe
