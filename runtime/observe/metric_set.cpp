#include "runtime/observe/metric_set.h"

#include <cctype>
#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

namespace pipec::observe {

namespace {

const char* type_name(MetricType t) {
  switch (t) {
    case MetricType::Counter: return "counter";
    case MetricType::Gauge: return "gauge";
    case MetricType::Histogram: return "histogram";
  }
  return "untyped";
}

bool valid_name(std::string_view name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) return false;
  for (char c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != ':') return false;
  return true;
}

// {a="x",b="y"} with `extra` (le) appended; empty when there are no labels.
std::string label_text(const Labels& labels, std::string_view extra_name = {}, std::string_view extra_value = {}) {
  if (labels.empty() && extra_name.empty()) return "";
  std::string t = "{";
  for (const auto& [name, value] : labels) t += fmt::format("{}=\"{}\",", name, escape_label_value(value));
  if (!extra_name.empty()) t += fmt::format("{}=\"{}\",", extra_name, extra_value);
  t.back() = '}';
  return t;
}

}  // namespace

MetricFamily& MetricSet::family(std::string_view name, std::string_view help, MetricType type) {
  for (auto& f : families_)
    if (f.name == name) {
      if (f.type != type) throw std::logic_error(fmt::format("metric {} registered with two types", name));
      return f;
    }
  // Metric names are fixed in code: a bad one is a programming error.
  if (!valid_name(name) || (type == MetricType::Counter && !name.ends_with("_total")))
    throw std::logic_error(fmt::format("invalid metric name '{}'", name));
  families_.push_back(MetricFamily{std::string(name), std::string(help), type, {}});
  return families_.back();
}

void MetricSet::counter(std::string_view name, std::string_view help, Labels labels, double value) {
  family(name, help, MetricType::Counter).samples.push_back(MetricSample{std::move(labels), value, {}});
}

void MetricSet::gauge(std::string_view name, std::string_view help, Labels labels, double value) {
  family(name, help, MetricType::Gauge).samples.push_back(MetricSample{std::move(labels), value, {}});
}

void MetricSet::histogram(std::string_view name, std::string_view help, Labels labels, HistogramValue value) {
  if (value.cumulative.size() != value.upper_bounds.size() + 1)
    throw std::logic_error(fmt::format("histogram {}: one cumulative count per bound plus +Inf expected", name));
  family(name, help, MetricType::Histogram).samples.push_back(MetricSample{std::move(labels), 0, std::move(value)});
}

void MetricSet::merge(const MetricSet& other) {
  for (const auto& f : other.families_) {
    MetricFamily& mine = family(f.name, f.help, f.type);
    mine.samples.insert(mine.samples.end(), f.samples.begin(), f.samples.end());
  }
}

const MetricSample* MetricSet::find(std::string_view name, const Labels& labels) const {
  for (const auto& f : families_)
    if (f.name == name)
      for (const auto& s : f.samples)
        if (s.labels == labels) return &s;
  return nullptr;
}

namespace {
// Backslash and newline always; double quotes inside label values only.
std::string escape(std::string_view text, bool quotes) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else if (c == '"' && quotes) out += "\\\"";
    else out += c;
  }
  return out;
}
}  // namespace

std::string escape_label_value(std::string_view value) { return escape(value, true); }
std::string escape_help(std::string_view help) { return escape(help, false); }

std::string format_sample_value(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == std::floor(v) && std::fabs(v) < 9.007199254740992e15) return fmt::format("{}", static_cast<int64_t>(v));
  return fmt::format("{}", v);
}

std::string render_prometheus(const MetricSet& set) {
  std::string out;
  for (const auto& f : set.families()) {
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", f.name, escape_help(f.help), f.name, type_name(f.type));
    for (const auto& s : f.samples) {
      if (f.type != MetricType::Histogram) {
        out += fmt::format("{}{} {}\n", f.name, label_text(s.labels), format_sample_value(s.value));
        continue;
      }
      const HistogramValue& h = s.histogram;
      for (size_t i = 0; i <= h.upper_bounds.size(); ++i) {
        std::string le = i < h.upper_bounds.size() ? format_sample_value(h.upper_bounds[i]) : "+Inf";
        out += fmt::format("{}_bucket{} {}\n", f.name, label_text(s.labels, "le", le), h.cumulative[i]);
      }
      out += fmt::format("{}_sum{} {}\n", f.name, label_text(s.labels), format_sample_value(h.sum));
      out += fmt::format("{}_count{} {}\n", f.name, label_text(s.labels), h.cumulative.back());
    }
  }
  return out;
}

}  // namespace pipec::observe
