// Measures NDJSON decode throughput (and _bulk encode throughput) on generated
// ~300-byte nested order events, decoding the handful of fields a typical
// pipeline uses. Usage: columnar_bench [megabytes=64] [repeats=5]
//                 columnar_bench --file EVENTS.ndjson [megabytes=256] [repeats=5]
// With --file, the first megabytes of a bench/generate_events file are decoded
// with the decode set of bench/pipelines/filter_project_constraints.pipe, so
// the decoder's share of that pipeline can be read off directly.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <string>

#include "runtime/decode/ndjson_decoder.h"
#include "runtime/encode/bulk_encoder.h"

using namespace pipec;

namespace {

std::string generate_events(size_t target_bytes, uint64_t seed) {
  std::mt19937_64 rng(seed);
  const char* os[] = {"ios", "android", "windows", "macos", "linux"};
  const char* tier[] = {"gold", "silver", "bronze"};
  const char* status[] = {"paid", "pending", "refunded", "shipped"};
  const char* cur[] = {"EUR", "USD", "GBP"};
  std::string out;
  out.reserve(target_bytes + 1024);
  char buf[1024];
  uint64_t id = 1'000'000;
  while (out.size() < target_bytes) {
    uint64_t r = rng();
    int n = std::snprintf(
        buf, sizeof buf,
        "{\"order_id\":%llu,\"ts\":\"2024-%02d-%02dT%02d:%02d:%02d.%03dZ\",\"customer\":{\"id\":"
        "\"c-%05u\",\"tier\":\"%s\",\"country\":\"DE\"},\"device\":{\"os\":\"%s\",\"version\":"
        "\"17.%u\",\"model\":\"Phone%u,2\"},\"amount\":%u.%02u,\"currency\":\"%s\",\"items\":[{"
        "\"sku\":\"A-%u\",\"qty\":%u,\"price\":10.5},{\"sku\":\"B-%u\",\"qty\":1,\"price\":%u.45}],"
        "\"tags\":[\"web\",\"promo\"],\"status\":\"%s\",\"note\":\"caf\\u00e9 \\\"vip\\\"\"}\n",
        static_cast<unsigned long long>(id++), int(1 + r % 12), int(1 + (r >> 4) % 28),
        int((r >> 9) % 24), int((r >> 14) % 60), int((r >> 20) % 60), int((r >> 26) % 1000),
        unsigned((r >> 36) % 100000), tier[(r >> 40) % 3], os[(r >> 42) % 5],
        unsigned((r >> 45) % 9), unsigned((r >> 48) % 20), unsigned((r >> 50) % 1000),
        unsigned((r >> 52) % 100), cur[(r >> 54) % 3], unsigned((r >> 56) % 100),
        unsigned(1 + (r >> 58) % 5), unsigned((r >> 60) % 10), unsigned((r >> 61) % 500),
        status[(r >> 62) % 4]);
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

DecodeSpec order_spec() {
  auto col = [](std::vector<std::string> path, TypePtr type, bool not_null = false,
                bool raw = false) { return DecodeField{std::move(path), type, not_null, raw}; };
  DecodeSpec spec;
  spec.columns = {col({"order_id"}, Type::bigint(), true),
                  col({"ts"}, Type::timestamp(), true),
                  col({"amount"}, Type::float64()),
                  col({"device", "os"}, Type::string()),
                  col({"customer", "tier"}, Type::string()),
                  col({"status"}, Type::string()),
                  col({"items"}, Type::array(Type::string()), false, true)};
  return spec;
}

// The decode set of filter_project_constraints.pipe (what projection pruning keeps).
DecodeSpec filter_pipeline_spec() {
  auto col = [](std::vector<std::string> path, TypePtr type, bool not_null = false) {
    return DecodeField{std::move(path), type, not_null, false};
  };
  DecodeSpec spec;
  spec.columns = {col({"event_type"}, Type::string()), col({"order_id"}, Type::string(), true),
                  col({"customer_id"}, Type::string()), col({"ts"}, Type::timestamp(), true),
                  col({"amount"}, Type::float64()),     col({"currency"}, Type::string()),
                  col({"status"}, Type::string()),      col({"device", "os"}, Type::string())};
  return spec;
}

// Up to `limit` bytes of whole lines of a file.
std::string read_lines(const char* path, size_t limit) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::perror(path);
    std::exit(2);
  }
  std::string text(limit, '\0');
  in.read(text.data(), static_cast<std::streamsize>(limit));
  text.resize(static_cast<size_t>(in.gcount()));
  size_t last = text.rfind('\n');
  text.resize(last == std::string::npos ? 0 : last + 1);
  return text;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

void bench_decode(const char* label, const std::shared_ptr<const InputChunk>& chunk,
                  DecodeOptions options, int repeats, const DecodeSpec& spec = order_spec()) {
  NdjsonDecoder decoder(spec, options);
  Batch batch = decoder.make_batch();
  DecodeErrors errors;
  double best = 1e9;
  uint64_t rows = 0;
  for (int rep = 0; rep < repeats; ++rep) {
    auto t0 = std::chrono::steady_clock::now();
    DecodeCursor cursor;
    rows = 0;
    bool done = false;
    while (!done) {
      batch.reset();
      done = decoder.decode(chunk, batch, errors, cursor);
      rows += batch.size;
    }
    best = std::min(best, seconds_since(t0));
  }
  double mb = static_cast<double>(chunk->size()) / 1e6;
  std::printf("%-28s %8.1f MB/s  %6.2f M rows/s  (%llu rows, %llu errors)\n", label, mb / best,
              static_cast<double>(rows) / best / 1e6, static_cast<unsigned long long>(rows),
              static_cast<unsigned long long>(errors.total()));
}

void bench_encode(const std::shared_ptr<const InputChunk>& chunk, int repeats) {
  DecodeSpec spec = order_spec();
  NdjsonDecoder decoder(spec);
  // Decode everything once; encoding is timed alone.
  std::vector<Batch> batches;
  DecodeErrors errors;
  DecodeCursor cursor;
  for (bool done = false; !done;) {
    batches.push_back(decoder.make_batch());
    done = decoder.decode(chunk, batches.back(), errors, cursor);
  }
  BulkEncoderConfig config;
  config.index = IndexTemplate::parse("orders-{ts|yyyy.MM.dd}", [](std::string_view name) {
    return name == "ts" ? std::optional<IndexTemplate::Column>({1, TypeId::Timestamp}) : std::nullopt;
  });
  for (uint32_t i = 0; i < spec.columns.size(); ++i)
    config.fields.push_back({path_display_name(spec.columns[i].path), i, spec.columns[i].type,
                             spec.columns[i].raw_json});
  config.id_mode = DocumentIdMode::Key;
  config.id_key = {config.fields[0]};
  BulkEncoder encoder(config);
  ByteBuffer out;
  BulkEncodeResult result;
  double best = 1e9;
  for (int rep = 0; rep < repeats; ++rep) {
    auto t0 = std::chrono::steady_clock::now();
    for (const Batch& batch : batches) {
      out.clear();
      result.clear();
      encoder.encode(batch, out, result);
    }
    best = std::min(best, seconds_since(t0));
  }
  uint64_t rows = 0;
  for (const Batch& b : batches) rows += b.size;
  std::printf("%-28s %8.1f MB/s in  %6.2f M rows/s  (%.0f output bytes/row)\n", "encode _bulk (daily, key ids)",
              static_cast<double>(chunk->size()) / 1e6 / best, static_cast<double>(rows) / best / 1e6,
              static_cast<double>(out.size()) / static_cast<double>(batches.back().size));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 2 && !std::strcmp(argv[1], "--file")) {
    size_t megabytes = argc > 3 ? std::strtoul(argv[3], nullptr, 10) : 256;
    int repeats = argc > 4 ? std::atoi(argv[4]) : 5;
    std::string text = read_lines(argv[2], megabytes << 20);
    auto chunk = InputChunk::copy_of(text);
    size_t lines = 0;
    for (char c : text) lines += c == '\n';
    std::printf("input: %s, %.1f MB, %zu events, %.0f bytes/event; filter_project_constraints decode set\n",
                argv[2], text.size() / 1e6, lines, double(text.size()) / double(lines));
    bench_decode("decode (validate_unused)", chunk, DecodeOptions{}, repeats, filter_pipeline_spec());
    DecodeOptions lax;
    lax.validate_unused = false;
    bench_decode("decode (skip unused)", chunk, lax, repeats, filter_pipeline_spec());
    return 0;
  }
  size_t megabytes = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 64;
  int repeats = argc > 2 ? std::atoi(argv[2]) : 5;
  std::string text = generate_events(megabytes << 20, 42);
  auto chunk = InputChunk::copy_of(text);
  size_t lines = 0;
  for (char c : text) lines += c == '\n';
  std::printf("input: %.1f MB, %zu events, %.0f bytes/event\n", text.size() / 1e6, lines,
              double(text.size()) / double(lines));
  bench_decode("decode (validate_unused)", chunk, DecodeOptions{}, repeats);
  DecodeOptions lax;
  lax.validate_unused = false;
  bench_decode("decode (skip unused)", chunk, lax, repeats);
  bench_encode(chunk, repeats);
  return 0;
}
