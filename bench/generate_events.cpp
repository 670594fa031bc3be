// Deterministic generator of realistic nested order/click events as NDJSON,
// the input of every benchmark in bench/ (see bench/README.md).
//
//   generate_events --events N --seed S --out FILE [--stats-json FILE]
//
// The same (N, S) always produces the same bytes on every machine: the PRNG is
// a hand-written SplitMix64 and no standard-library distribution is used (their
// output is implementation-defined). Events are 200-500 bytes (a few longer);
// the byte-size distribution is printed to stderr (and written as JSON with
// --stats-json).
//
// One event (fields in this order; "?" = optional or nullable):
//   {"event_type":"order"|"click","order_id":"ord-...","customer_id":"cus-..."?,
//    "ts":"2024-...Z" | "2024-...+02:00" | 1704067200123,
//    "amount":12.34 (null for clicks),"currency":"EUR"? ,"status":"paid",
//    "device":{"os":"ios","app_version":"5.12.3","model":"iPhone15,2"?},
//    "items":[{"sku":"SKU-001234","qty":2,"price":19.99}, ... 1-4],
//    "user_agent":"Mozilla/5.0 ...","email":"..."?,"card_number":"4..."?,
//    "ip":"203.0.113.7","coupon":"SPRING24"? (often missing),
//    "shipping":{"city":"München","country":"DE"}? ,"note":"..."? (escapes),
//    "session_id":"..."}
//
// About 0.1 % of the records are bad, in five equally likely ways:
//   truncated (malformed JSON), amount as a string (wrong type), negative
//   amount, missing order_id, unparsable ts string.
#include <charconv>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace {

struct SplitMix64 {
  uint64_t s;
  uint64_t next() {
    uint64_t z = (s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n) (multiply-shift; the tiny bias is irrelevant here).
  uint32_t below(uint32_t n) { return static_cast<uint32_t>(((next() >> 32) * n) >> 32); }
  // True with probability per_mille / 1000.
  bool chance(uint32_t per_mille) { return below(1000) < per_mille; }
  template <size_t N>
  const char* pick(const char* const (&a)[N]) { return a[below(N)]; }
};

class Out {
 public:
  explicit Out(std::FILE* f) : f_(f) { buf_.reserve(kFlush + 4096); }
  ~Out() { flush(); }
  void s(std::string_view v) { buf_.append(v); }
  void c(char ch) { buf_.push_back(ch); }
  void u(uint64_t v, int width = 0) {
    char t[24];
    auto r = std::to_chars(t, t + sizeof t, v);
    for (int n = static_cast<int>(r.ptr - t); n < width; ++n) buf_.push_back('0');
    buf_.append(t, r.ptr);
  }
  void i(int64_t v) {
    char t[24];
    buf_.append(t, std::to_chars(t, t + sizeof t, v).ptr);
  }
  void cents(int64_t c) {  // 1234 -> 12.34
    if (c < 0) { buf_.push_back('-'); c = -c; }
    u(static_cast<uint64_t>(c / 100));
    buf_.push_back('.');
    u(static_cast<uint64_t>(c % 100), 2);
  }
  size_t size() const { return buf_.size(); }
  std::string& raw() { return buf_; }
  void maybe_flush() {
    if (buf_.size() >= kFlush) flush();
  }
  void flush() {
    if (!buf_.empty() && std::fwrite(buf_.data(), 1, buf_.size(), f_) != buf_.size()) {
      std::perror("generate_events: write");
      std::exit(2);
    }
    buf_.clear();
  }

 private:
  static constexpr size_t kFlush = 4 << 20;
  std::FILE* f_;
  std::string buf_;
};

// Proleptic Gregorian civil date of a day number (H. Hinnant).
void civil_from_days(int64_t z, int* y, int* m, int* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  *d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  *m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  *y = static_cast<int>(yoe + era * 400 + (*m <= 2));
}

// ISO-8601 text of epoch millis shifted into a +offset_min zone.
void iso(Out& o, int64_t ms, int offset_min, bool millis) {
  int64_t local = ms + offset_min * 60'000LL;
  int64_t days = local / 86'400'000, rem = local % 86'400'000;
  int y, m, d;
  civil_from_days(days, &y, &m, &d);
  o.u(y, 4); o.c('-'); o.u(m, 2); o.c('-'); o.u(d, 2); o.c('T');
  o.u(rem / 3'600'000, 2); o.c(':'); o.u(rem / 60'000 % 60, 2); o.c(':'); o.u(rem / 1000 % 60, 2);
  if (millis) { o.c('.'); o.u(rem % 1000, 3); }
  if (offset_min == 0) {
    o.c('Z');
  } else {
    o.c(offset_min > 0 ? '+' : '-');
    int a = offset_min > 0 ? offset_min : -offset_min;
    o.u(a / 60, 2); o.c(':'); o.u(a % 60, 2);
  }
}

const char* const kOs[] = {"ios", "ios", "ios", "ios", "android", "android", "android", "android", "android", "web", "windows", "macos"};
const char* const kModelIos[] = {"iPhone15,2", "iPhone14,5", "iPhone16,1", "iPad13,4", "iPhone12,1"};
const char* const kModelAndroid[] = {"SM-S911B", "Pixel 8", "Pixel 7a", "SM-A546B", "M2101K6G", "CPH2451"};
const char* const kModelDesktop[] = {"x86_64", "arm64"};
const char* const kStatusOrder[] = {"created", "paid", "paid", "paid", "paid", "shipped", "shipped", "shipped", "delivered", "cancelled", "refunded"};
const char* const kStatusClick[] = {"viewed", "viewed", "viewed", "added_to_cart", "clicked"};
const char* const kFirst[] = {"anna", "ben", "chloe", "david", "elif", "felix", "greta", "hugo", "ines", "jonas", "kai", "lena", "mia", "noah", "olga", "paul", "sara", "tom", "yuki", "zoe"};
const char* const kLast[] = {"schmidt", "muller", "rossi", "garcia", "smith", "nguyen", "kowalski", "tanaka", "silva", "dubois", "jensen", "novak"};
const char* const kDomain[] = {"example.com", "mail.example.org", "shop.example.net", "Example.COM"};
const char* const kCoupon[] = {"SPRING24", "WELCOME10", "FREESHIP", "VIP-2024", "BLACKFRIDAY"};
struct Place { const char* city; const char* country; };
const Place kPlaces[] = {{"Berlin", "DE"},     {"M\xC3\xBCnchen", "DE"}, {"Paris", "FR"},
                         {"Lyon", "FR"},       {"London", "GB"},          {"New York", "US"},
                         {"Austin", "US"},     {"Z\xC3\xBCrich", "CH"},   {"Krak\xC3\xB3w", "PL"},
                         {"S\xC3\xA3o Paulo", "BR"}, {"Tokyo", "JP"},      {"Madrid", "ES"}};
const char* const kNotes[] = {
    "Bitte \\\"nicht\\\" klingeln\\nDanke!", "leave at door \\u2013 back entrance",
    "gift wrap, card: \\\"Happy birthday\\\"", "call before delivery\\tafter 6pm",
    "caf\\u00e9 order, path C:\\\\orders\\\\7"};

// Apps send a short app user agent, browsers a long one.
void user_agent(Out& o, SplitMix64& r, const char* os, const char* model) {
  uint32_t chrome = 110 + r.below(15);
  if (!std::strcmp(os, "ios") || !std::strcmp(os, "android")) {
    o.s("ShopApp/"); o.u(4 + r.below(3)); o.c('.'); o.u(r.below(20));
    o.s(!std::strcmp(os, "ios") ? " (iOS " : " (Android "); o.u(13 + r.below(5));
    o.s("; "); o.s(model ? model : "unknown"); o.c(')');
  } else if (r.below(3) == 0) {
    o.s("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:"); o.u(115 + r.below(10));
    o.s(".0) Gecko/20100101 Firefox/"); o.u(115 + r.below(10)); o.s(".0");
  } else {
    o.s(!std::strcmp(os, "macos") ? "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7)"
                                  : "Mozilla/5.0 (Windows NT 10.0; Win64; x64)");
    // Chrome's reduced user agent (minor version frozen to 0.0.0).
    o.s(" AppleWebKit/537.36 (KHTML, like Gecko) Chrome/"); o.u(chrome); o.s(".0.0.0 Safari/537.36");
    if (r.below(4) == 0) { o.s(" Edg/"); o.u(chrome); o.s(".0.0.0"); }
  }
}

enum Bad { kNone, kTruncated, kAmountString, kNegativeAmount, kMissingId, kBadTs };

struct Stats {
  uint64_t events = 0, bytes = 0, bad[6] = {}, min = ~0ULL, max = 0;
  std::vector<uint64_t> hist = std::vector<uint64_t>(1025, 0);  // by byte size, last = >1024
  void add(uint64_t n) {
    ++events;
    bytes += n;
    min = n < min ? n : min;
    max = n > max ? n : max;
    ++hist[n < 1024 ? n : 1024];
  }
  uint64_t percentile(double p) const {
    uint64_t want = static_cast<uint64_t>(p * static_cast<double>(events)), seen = 0;
    for (size_t i = 0; i < hist.size(); ++i)
      if ((seen += hist[i]) > want) return i;
    return max;
  }
  uint64_t between(uint64_t lo, uint64_t hi) const {  // [lo, hi]
    uint64_t n = 0;
    for (uint64_t i = lo; i <= hi && i < hist.size(); ++i) n += hist[i];
    return n;
  }
};

void event(Out& o, SplitMix64& r, uint64_t i, int64_t base_ms, Stats& st) {
  size_t start = o.size();
  Bad bad = kNone;
  if (r.chance(1)) bad = static_cast<Bad>(1 + r.below(5));
  ++st.bad[bad];
  bool order = r.below(10) < 7;

  o.s("{\"event_type\":\""); o.s(order ? "order" : "click"); o.s("\",");
  if (bad != kMissingId) { o.s("\"order_id\":\"ord-"); o.u(i + 1, 8); o.s("\","); }
  uint32_t cust = r.below(200000);
  if (r.chance(10)) o.s("\"customer_id\":null,");
  else { o.s("\"customer_id\":\"cus-"); o.u(cust, 6); o.s("\","); }

  // Mostly increasing event time with up to 30 s of disorder.
  int64_t ts = base_ms + static_cast<int64_t>(i) * 250 + r.below(30000);
  o.s("\"ts\":");
  uint32_t tf = r.below(10);
  if (bad == kBadTs) o.s("\"yesterday 10:15\"");
  else if (tf < 6) { o.c('"'); iso(o, ts, 0, true); o.c('"'); }
  else if (tf < 8) { o.c('"'); iso(o, ts - ts % 1000, 120, false); o.c('"'); }
  else o.i(ts);

  o.s(",\"amount\":");
  int64_t cents = 50 + r.below(r.below(10) == 0 ? 500000 : 20000);
  if (cents % 7 == 0) cents -= cents % 100;  // some whole amounts
  if (bad == kAmountString) { o.c('"'); o.cents(cents); o.c('"'); }
  else if (bad == kNegativeAmount) o.cents(-cents);
  else if (!order) o.s("null");
  else o.cents(cents);

  uint32_t cur = r.below(1000);
  const char* currency = cur < 450 ? "EUR" : cur < 800 ? "USD" : cur < 920 ? "GBP" : cur < 970 ? "CHF"
                       : cur < 990 ? "JPY" : cur < 995 ? "eur" : "XXX";
  if (order) { o.s(",\"currency\":\""); o.s(currency); o.c('"'); }
  o.s(",\"status\":\""); o.s(order ? r.pick(kStatusOrder) : r.pick(kStatusClick)); o.c('"');

  const char* os = r.pick(kOs);
  o.s(",\"device\":{\"os\":\""); o.s(os);
  o.s("\",\"app_version\":\""); o.u(4 + r.below(3)); o.c('.'); o.u(r.below(20)); o.c('.'); o.u(r.below(10));
  o.s("\",\"model\":");
  const char* model = nullptr;
  if (r.chance(30)) {
    o.s("null");
  } else {
    model = !std::strcmp(os, "ios") ? r.pick(kModelIos) : !std::strcmp(os, "android") ? r.pick(kModelAndroid)
                                                                                      : r.pick(kModelDesktop);
    o.c('"'); o.s(model); o.c('"');
  }
  o.s("},\"items\":[");
  uint32_t ni = r.below(100);
  uint32_t n_items = ni < 75 ? 1 : ni < 93 ? 2 : ni < 98 ? 3 : 4;
  for (uint32_t k = 0; k < n_items; ++k) {
    if (k) o.c(',');
    o.s("{\"sku\":\"SKU-"); o.u(r.below(100000), 6);
    o.s("\",\"qty\":"); o.u(1 + (r.below(4) == 0 ? r.below(5) : 0));
    o.s(",\"price\":"); o.cents(99 + r.below(15000));
    o.c('}');
  }
  o.s("],\"user_agent\":\""); user_agent(o, r, os, model); o.c('"');

  uint32_t em = r.below(100);
  if (order ? em < 70 : em < 15) {
    if (!r.chance(50)) {
      o.s(",\"email\":\""); o.s(r.pick(kFirst)); o.c('.'); o.s(r.pick(kLast));
      o.u(r.below(100)); o.c('@'); o.s(r.pick(kDomain)); o.c('"');
    } else {
      o.s(",\"email\":null");
    }
  }
  if (order && r.below(10) < 4) {  // the others paid without a card
    o.s(",\"card_number\":\""); o.c(r.below(2) ? '4' : '5');
    for (int k = 0; k < 3; ++k) o.u(r.below(100000), 5);
    o.c('"');
  }
  uint32_t cp = r.below(10);
  if (cp == 0) o.s(",\"coupon\":null");
  else if (cp <= 2 && order) { o.s(",\"coupon\":\""); o.s(r.pick(kCoupon)); o.c('"'); }
  if (order && r.below(10) < 6) {
    const Place& p = kPlaces[r.below(sizeof kPlaces / sizeof kPlaces[0])];
    o.s(",\"shipping\":{\"city\":\""); o.s(p.city); o.s("\",\"country\":\""); o.s(p.country); o.s("\"}");
  } else if (!order) {
    o.s(",\"ip\":\""); o.s(r.below(3) ? "203.0.113." : "198.51.100."); o.u(r.below(256));
    o.s("\",\"session_id\":\"");
    uint64_t sid = r.next();
    static constexpr char kHex[] = "0123456789abcdef";
    for (int k = 0; k < 12; ++k) o.c(kHex[(sid >> (4 * k)) & 15]);
    o.c('"');
  }
  if (r.chance(20)) { o.s(",\"note\":\""); o.s(r.pick(kNotes)); o.c('"'); }
  o.c('}');

  if (bad == kTruncated) {  // cut somewhere in the second half of the record
    size_t len = o.size() - start;
    o.raw().resize(start + len / 2 + r.below(static_cast<uint32_t>(len / 2 - 1)));
  }
  o.c('\n');
  st.add(o.size() - start);
}

void usage() {
  std::fputs("usage: generate_events --events N --seed S --out FILE [--stats-json FILE]\n", stderr);
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t events = 0, seed = 42;
  const char* out_path = nullptr;
  const char* stats_path = nullptr;
  for (int a = 1; a < argc; ++a) {
    std::string_view arg = argv[a];
    if (a + 1 >= argc) usage();
    if (arg == "--events") events = std::strtoull(argv[++a], nullptr, 10);
    else if (arg == "--seed") seed = std::strtoull(argv[++a], nullptr, 10);
    else if (arg == "--out") out_path = argv[++a];
    else if (arg == "--stats-json") stats_path = argv[++a];
    else usage();
  }
  if (!events || !out_path) usage();
  std::FILE* f = std::strcmp(out_path, "-") ? std::fopen(out_path, "wb") : stdout;
  if (!f) {
    std::perror(out_path);
    return 2;
  }
  SplitMix64 r{seed};
  Stats st;
  const int64_t base_ms = 1704067200000;  // 2024-01-01T00:00:00Z
  {
    Out o(f);
    for (uint64_t i = 0; i < events; ++i) {
      event(o, r, i, base_ms, st);
      o.maybe_flush();
    }
  }
  if (f != stdout && std::fclose(f) != 0) {
    std::perror(out_path);
    return 2;
  }
  uint64_t bad = st.events - st.bad[kNone];
  double mean = static_cast<double>(st.bytes) / static_cast<double>(st.events);
  uint64_t in_range = st.between(200, 500);
  std::fprintf(stderr,
               "generate_events: %" PRIu64 " events, %" PRIu64 " bytes (%.1f MiB), seed %" PRIu64 "\n"
               "  bytes/event: min %" PRIu64 " p1 %" PRIu64 " p10 %" PRIu64 " p50 %" PRIu64 " p90 %" PRIu64
               " p99 %" PRIu64 " max %" PRIu64 " mean %.1f; %.2f %% within 200-500\n"
               "  bad records: %" PRIu64 " (%.3f %%): truncated %" PRIu64 ", amount as string %" PRIu64
               ", negative amount %" PRIu64 ", missing order_id %" PRIu64 ", bad ts %" PRIu64 "\n",
               st.events, st.bytes, static_cast<double>(st.bytes) / (1 << 20), seed, st.min,
               st.percentile(0.01), st.percentile(0.10), st.percentile(0.50), st.percentile(0.90),
               st.percentile(0.99), st.max, mean, 100.0 * static_cast<double>(in_range) / static_cast<double>(st.events),
               bad, 100.0 * static_cast<double>(bad) / static_cast<double>(st.events), st.bad[kTruncated],
               st.bad[kAmountString], st.bad[kNegativeAmount], st.bad[kMissingId], st.bad[kBadTs]);
  // Coarse histogram in 50-byte buckets.
  for (uint64_t lo = 0; lo < 1024; lo += 50) {
    uint64_t n = st.between(lo, lo + 49);
    if (n) std::fprintf(stderr, "  %4" PRIu64 "-%4" PRIu64 " B: %10" PRIu64 " (%5.2f %%)\n", lo, lo + 49, n,
                        100.0 * static_cast<double>(n) / static_cast<double>(st.events));
  }
  if (stats_path) {
    std::FILE* s = std::fopen(stats_path, "w");
    if (!s) {
      std::perror(stats_path);
      return 2;
    }
    std::fprintf(s,
                 "{\"events\":%" PRIu64 ",\"bytes\":%" PRIu64 ",\"seed\":%" PRIu64 ",\"min\":%" PRIu64
                 ",\"p1\":%" PRIu64 ",\"p10\":%" PRIu64 ",\"p50\":%" PRIu64 ",\"p90\":%" PRIu64
                 ",\"p99\":%" PRIu64 ",\"max\":%" PRIu64 ",\"mean\":%.2f,\"within_200_500\":%.4f,"
                 "\"bad\":{\"truncated\":%" PRIu64 ",\"amount_string\":%" PRIu64
                 ",\"negative_amount\":%" PRIu64 ",\"missing_order_id\":%" PRIu64 ",\"bad_ts\":%" PRIu64 "}}\n",
                 st.events, st.bytes, seed, st.min, st.percentile(0.01), st.percentile(0.10),
                 st.percentile(0.50), st.percentile(0.90), st.percentile(0.99), st.max, mean,
                 static_cast<double>(in_range) / static_cast<double>(st.events), st.bad[kTruncated],
                 st.bad[kAmountString], st.bad[kNegativeAmount], st.bad[kMissingId], st.bad[kBadTs]);
    std::fclose(s);
  }
  return 0;
}
