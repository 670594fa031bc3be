#include "runtime/exec/progress.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>

#include <fmt/format.h>

#include "runtime/common/thread_name.h"

namespace pipec {

std::string group_digits(uint64_t n) {
  std::string s = std::to_string(n);
  for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3) s.insert(static_cast<size_t>(i), ",");
  return s;
}

std::string human_bytes(double bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (bytes >= 1024 && u < 4) {
    bytes /= 1024;
    ++u;
  }
  return u == 0 ? fmt::format("{:.0f} B", bytes) : fmt::format("{:.1f} {}", bytes, units[u]);
}

namespace {
std::string short_count(double n) {
  if (n >= 1e9) return fmt::format("{:.1f}G", n / 1e9);
  if (n >= 1e6) return fmt::format("{:.1f}M", n / 1e6);
  if (n >= 1e4) return fmt::format("{:.0f}k", n / 1e3);
  return fmt::format("{:.0f}", n);
}
}  // namespace

std::string ProgressLine::render(uint64_t in, uint64_t out, double rate, uint64_t bytes_read, uint64_t bytes_total) {
  std::string line = fmt::format("{} events in, {} out, {} ev/s", group_digits(in), group_digits(out), short_count(rate));
  if (bytes_total > 0) {
    double frac = std::min(1.0, static_cast<double>(bytes_read) / static_cast<double>(bytes_total));
    line += fmt::format(", {:.0f}% of {}", frac * 100, human_bytes(static_cast<double>(bytes_total)));
    if (rate > 0 && in > 0 && frac > 0 && frac < 1) {
      double total_events = static_cast<double>(in) / frac;
      double eta = (total_events - static_cast<double>(in)) / rate;
      long secs = static_cast<long>(eta + 0.5);
      line += secs < 60 ? fmt::format(", ETA {}s", secs) : fmt::format(", ETA {}m{:02}s", secs / 60, secs % 60);
    }
  }
  return line;
}

void ProgressLine::start() {
  if (!isatty(STDERR_FILENO)) return;
  thread_ = std::thread([this] {
    set_current_thread_name("pipec-progress");
    loop();
  });
}

void ProgressLine::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (shown_) {
    std::fputs("\r\033[K", stderr);
    std::fflush(stderr);
    shown_ = false;
  }
}

void ProgressLine::loop() {
  using clock = std::chrono::steady_clock;
  auto last = clock::now();
  uint64_t last_in = 0;
  double rate = 0;
  std::unique_lock<std::mutex> lock(mu_);
  while (!cv_.wait_for(lock, std::chrono::milliseconds(250), [this] { return stopping_; })) {
    uint64_t in = 0, out = 0, read = 0, total = 0;
    for (const auto* r : runners_) {
      const auto& s = r->context().stats;
      in += s.records_in.load(std::memory_order_relaxed);
      out += s.documents_out.load(std::memory_order_relaxed);
      read += s.bytes_read.load(std::memory_order_relaxed);
      total += s.bytes_total.load(std::memory_order_relaxed);
    }
    auto now = clock::now();
    double dt = std::chrono::duration<double>(now - last).count();
    if (dt > 0) {
      double instant = static_cast<double>(in - last_in) / dt;
      rate = rate == 0 ? instant : 0.7 * rate + 0.3 * instant;  // smoothed
    }
    last = now;
    last_in = in;
    std::string text = render(in, out, rate, read, total);
    std::fprintf(stderr, "\r\033[K%s", text.c_str());
    std::fflush(stderr);
    shown_ = true;
  }
}

}  // namespace pipec
