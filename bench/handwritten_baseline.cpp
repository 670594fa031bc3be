// The "practical limit" for bench/pipelines/filter_project_constraints.pipe: the
// same query written by hand for this one schema, with no pipec code (only
// simdjson On-Demand, std::to_chars and xxHash's XXH3-128).
//
//   handwritten_baseline --in EVENTS.ndjson --out OUT.bulk.ndjson [--dlq DLQ.ndjson]
//   handwritten_baseline --kafka BOOTSTRAP --topic T --group G --out OUT [--dlq DLQ] [--seconds S]
//
// With --kafka the records come from a topic through librdkafka, configured as
// pipec configures it (cooperative-sticky group, fetch.min.bytes 1 MB or 100
// ms, queued.min.messages 1 M, offsets committed every second), each payload
// copied into a padded buffer for simdjson: the practical limit of Kafka in,
// `_bulk` out with the mandated librdkafka 2.0.2, without HTTP. It ends at the
// end of every partition, or after S seconds (streaming).
//
// What it does, record by record, exactly as the pipeline declares it:
//
//   decode   order_id STRING NOT NULL, customer_id STRING, ts TIMESTAMP NOT NULL
//            (epoch millis or ISO-8601), amount DOUBLE, currency STRING,
//            status STRING, event_type STRING, device.os STRING; a malformed
//            record, a value of the wrong JSON type, an unparsable timestamp or
//            a missing NOT NULL field goes to the dead-letter file
//   WHERE    event_type = 'order' AND status <> 'cancelled'    (NULL drops)
//   WARN     has_customer    customer_id IS NOT NULL           (counted only)
//   DROP ROW known_currency  currency IN ('EUR','USD','GBP','CHF','JPY')
//   DEAD LETTER positive_amount  amount >= 0
//   SELECT   order_id, customer_id, amount, currency, status, device.os AS os, ts
//   write    Elasticsearch _bulk: {"index":{"_index":"orders-yyyy.MM.dd","_id":ID}}
//            then the document, with ID = pipec's document id of order_id
//            (XXH3-128 of "pipec-id-v1:key" 0x04 len64le bytes, 32 hex digits;
//            re-implemented from the spec in runtime/encode/document_id.h, not
//            linked), doubles in shortest round-trip form with ".0" kept on
//            integral values, timestamps as yyyy-MM-ddTHH:mm:ss.SSSZ
//
// The output is meant to be byte-identical to `pipec run` of that pipeline
// (bench/run_bench.py compares them with cmp). What it does *not* do, which
// pipec does: validate the scalar literals inside fields it skips (simdjson
// stage 1 still validates UTF-8 and string/bracket structure of the whole
// record), handle duplicate keys, integral doubles as epoch millis, '\r\n'
// line ends, or any schema but this one. Dead letters carry the same fields
// as pipec's but not necessarily the same error wording.
#include <librdkafka/rdkafka.h>
#include <simdjson.h>
#include <xxhash.h>

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <charconv>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace od = simdjson::ondemand;

namespace {

// ------------------------------------------------------------------ output

class Writer {
 public:
  Writer(const char* path) {
    fd_ = ::open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd_ < 0) {
      std::perror(path);
      std::exit(2);
    }
    buf_.reset(new char[kCap]);
  }
  ~Writer() {
    flush();
    ::close(fd_);
  }
  // Room for n more bytes; call commit() with what was written.
  char* ensure(size_t n) {
    if (len_ + n > kCap) flush();
    return buf_.get() + len_;
  }
  void commit(size_t n) { len_ += n; }
  void put(std::string_view s) {
    char* p = ensure(s.size());
    std::memcpy(p, s.data(), s.size());
    len_ += s.size();
  }
  void put(char c) { *ensure(1) = c, ++len_; }
  void flush() {
    const char* p = buf_.get();
    while (len_) {
      ssize_t w = ::write(fd_, p, len_);
      if (w < 0) {
        std::perror("write");
        std::exit(2);
      }
      p += w;
      len_ -= static_cast<size_t>(w);
    }
  }
  uint64_t written() const { return written_; }

 private:
  static constexpr size_t kCap = 1 << 20;
  int fd_;
  std::unique_ptr<char[]> buf_;
  size_t len_ = 0;
  uint64_t written_ = 0;
};

// 1 where a byte needs escaping in a JSON string.
struct EscapeTable {
  bool t[256];
  constexpr EscapeTable() : t() {
    for (int i = 0; i < 32; ++i) t[i] = true;
    t['"'] = t['\\'] = true;
  }
};
constexpr EscapeTable kEscape;
constexpr char kHex[] = "0123456789abcdef";

void put_string(Writer& w, std::string_view s) {
  char* p = w.ensure(s.size() * 6 + 2);
  char* o = p;
  *o++ = '"';
  for (unsigned char c : s) {
    if (!kEscape.t[c]) {
      *o++ = static_cast<char>(c);
      continue;
    }
    *o++ = '\\';
    switch (c) {
      case '"': *o++ = '"'; break;
      case '\\': *o++ = '\\'; break;
      case '\b': *o++ = 'b'; break;
      case '\f': *o++ = 'f'; break;
      case '\n': *o++ = 'n'; break;
      case '\r': *o++ = 'r'; break;
      case '\t': *o++ = 't'; break;
      default: *o++ = 'u', *o++ = '0', *o++ = '0', *o++ = kHex[c >> 4], *o++ = kHex[c & 15];
    }
  }
  *o++ = '"';
  w.commit(static_cast<size_t>(o - p));
}

void put_double(Writer& w, double v) {
  if (!std::isfinite(v)) return w.put("null");
  char* p = w.ensure(32);
  char* e = std::to_chars(p, p + 30, v).ptr;
  bool has_dot = false;
  for (char* q = p; q < e; ++q) has_dot |= (*q == '.' || *q == 'e');
  if (!has_dot) *e++ = '.', *e++ = '0';
  w.commit(static_cast<size_t>(e - p));
}

void put_base64(Writer& w, std::string_view bytes) {
  static constexpr char A[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const auto* s = reinterpret_cast<const unsigned char*>(bytes.data());
  size_t n = bytes.size(), i = 0;
  char* p = w.ensure((n + 2) / 3 * 4);
  char* o = p;
  for (; i + 3 <= n; i += 3) {
    uint32_t v = (uint32_t{s[i]} << 16) | (uint32_t{s[i + 1]} << 8) | s[i + 2];
    *o++ = A[v >> 18], *o++ = A[(v >> 12) & 63], *o++ = A[(v >> 6) & 63], *o++ = A[v & 63];
  }
  if (i < n) {
    uint32_t v = uint32_t{s[i]} << 16 | (i + 1 < n ? uint32_t{s[i + 1]} << 8 : 0);
    *o++ = A[v >> 18], *o++ = A[(v >> 12) & 63];
    *o++ = i + 1 < n ? A[(v >> 6) & 63] : '=';
    *o++ = '=';
  }
  w.commit(static_cast<size_t>(o - p));
}

// ------------------------------------------------------------------ time

int64_t days_from_civil(int64_t y, int m, int d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  return era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
}

void civil_from_days(int64_t z, int64_t* y, int* m, int* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  *d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  *m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  *y = yoe + era * 400 + (*m <= 2);
}

inline bool digits(std::string_view s, size_t& pos, int n, int& out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (int i = 0; i < n; ++i) {
    unsigned d = static_cast<unsigned char>(s[pos + i]) - '0';
    if (d > 9) return false;
    v = v * 10 + static_cast<int>(d);
  }
  pos += n;
  out = v;
  return true;
}

bool leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

// yyyy-MM-dd[(T|t| )HH:mm[:ss[(.|,)f{1,9}]][Z|z|(+|-)HH[[:]mm]]]
bool parse_iso(std::string_view s, int64_t* out) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  size_t pos = 0;
  int y, mo, d, h = 0, mi = 0, sec = 0, ms = 0;
  if (!digits(s, pos, 4, y) || pos >= s.size() || s[pos++] != '-' || !digits(s, pos, 2, mo) ||
      pos >= s.size() || s[pos++] != '-' || !digits(s, pos, 2, d))
    return false;
  if (mo < 1 || mo > 12 || d < 1 || d > kDays[mo - 1] + (mo == 2 && leap(y))) return false;
  int64_t t = days_from_civil(y, mo, d) * 86'400'000;
  if (pos == s.size()) return *out = t, true;
  char sep = s[pos++];
  if (sep != 'T' && sep != 't' && sep != ' ') return false;
  if (!digits(s, pos, 2, h) || pos >= s.size() || s[pos++] != ':' || !digits(s, pos, 2, mi))
    return false;
  if (h > 23 || mi > 59) return false;
  if (pos < s.size() && s[pos] == ':') {
    ++pos;
    if (!digits(s, pos, 2, sec) || sec > 59) return false;
    if (pos < s.size() && (s[pos] == '.' || s[pos] == ',')) {
      size_t start = ++pos;
      while (pos < s.size() && static_cast<unsigned>(s[pos] - '0') <= 9) {
        if (pos - start < 3) ms = ms * 10 + (s[pos] - '0');
        ++pos;
      }
      size_t n = pos - start;
      if (n == 0 || n > 9) return false;
      for (size_t i = n; i < 3; ++i) ms *= 10;
    }
  }
  t += h * 3'600'000LL + mi * 60'000LL + sec * 1000LL + ms;
  if (pos < s.size()) {
    char z = s[pos++];
    if (z == '+' || z == '-') {
      int oh, om = 0;
      if (!digits(s, pos, 2, oh)) return false;
      if (pos < s.size()) {
        if (s[pos] == ':') ++pos;
        if (!digits(s, pos, 2, om)) return false;
      }
      if (oh > 23 || om > 59) return false;
      int64_t off = oh * 3'600'000LL + om * 60'000LL;
      t += z == '+' ? -off : off;
    } else if (z != 'Z' && z != 'z') {
      return false;
    }
    if (pos != s.size()) return false;
  }
  *out = t;
  return true;
}

// Day-granular cache: "yyyy-MM-dd" of the last day seen (events are mostly in
// time order, so this hits almost always).
struct DayCache {
  int64_t day = INT64_MIN;
  char ymd[10];  // yyyy-MM-dd (no terminator)
  void set(int64_t d) {
    if (d == day) return;
    day = d;
    int64_t y;
    int m, dd;
    civil_from_days(d, &y, &m, &dd);
    int yy = static_cast<int>(y);  // 0..9999 in this data
    ymd[0] = static_cast<char>('0' + yy / 1000), ymd[1] = static_cast<char>('0' + yy / 100 % 10);
    ymd[2] = static_cast<char>('0' + yy / 10 % 10), ymd[3] = static_cast<char>('0' + yy % 10);
    ymd[4] = '-', ymd[5] = static_cast<char>('0' + m / 10), ymd[6] = static_cast<char>('0' + m % 10);
    ymd[7] = '-', ymd[8] = static_cast<char>('0' + dd / 10), ymd[9] = static_cast<char>('0' + dd % 10);
  }
};

inline void two(char* p, int v) { p[0] = static_cast<char>('0' + v / 10), p[1] = static_cast<char>('0' + v % 10); }

// "yyyy-MM-ddTHH:mm:ss.SSSZ" (years 0..9999, which is all this data has).
void put_ts(Writer& w, DayCache& dc, int64_t ms) {
  int64_t day = ms >= 0 ? ms / 86'400'000 : (ms - 86'399'999) / 86'400'000;
  int64_t rem = ms - day * 86'400'000;
  dc.set(day);
  char* p = w.ensure(26);
  p[0] = '"';
  std::memcpy(p + 1, dc.ymd, 10);
  p[11] = 'T';
  int s = static_cast<int>(rem / 1000), milli = static_cast<int>(rem % 1000);
  two(p + 12, s / 3600), p[14] = ':', two(p + 15, s / 60 % 60), p[17] = ':', two(p + 18, s % 60);
  p[20] = '.', p[21] = static_cast<char>('0' + milli / 100), two(p + 22, milli % 100);
  p[24] = 'Z', p[25] = '"';
  w.commit(26);
}

// ------------------------------------------------------------------ decode

struct Str {
  std::string_view v;
  bool valid = false;
};

struct Record {
  Str event_type, order_id, customer_id, currency, status, os;
  double amount = 0;
  bool amount_valid = false;
  int64_t ts = 0;
  bool ts_valid = false;
};

enum class Fail { None, Malformed, Type, Value, NotNull };

struct Decoder {
  od::parser parser;
  const char* error = nullptr;
  Fail kind = Fail::None;

  bool fail(Fail k, const char* why) {
    kind = k;
    error = why;
    return false;
  }

  // A string value: zero-copy when it has no escapes, else unescaped by simdjson.
  bool string(od::value& v, Str* out, const char* type_error) {
    std::string_view tok = v.raw_json_token();
    if (tok[0] == 'n') return out->valid = false, true;
    if (tok[0] != '"') return fail(Fail::Type, type_error);
    const char* body = tok.data() + 1;
    const char* q = static_cast<const char*>(std::memchr(body, '"', tok.size() - 1));
    if (!std::memchr(body, '\\', static_cast<size_t>(q - body))) {
      out->v = std::string_view(body, static_cast<size_t>(q - body));
    } else if (v.get_string().get(out->v)) {
      return fail(Fail::Malformed, "invalid string");
    }
    out->valid = true;
    return true;
  }

  bool parse(const char* p, size_t n, size_t cap, Record& r) {
    r = Record{};
    od::document doc;
    if (parser.iterate(p, n, cap).get(doc)) return fail(Fail::Malformed, "malformed JSON");
    od::object obj;
    if (doc.get_object().get(obj)) return fail(Fail::Malformed, "malformed JSON");
    for (auto fr : obj) {
      od::field f;
      if (std::move(fr).get(f)) return fail(Fail::Malformed, "malformed JSON");
      const char* k = f.key().raw();
      const char* e = k;
      while (*e != '"' && *e != '\\') ++e;
      std::string_view key(k, static_cast<size_t>(e - k));
      if (*e == '\\' && f.unescaped_key().get(key)) return fail(Fail::Malformed, "bad key");
      od::value& v = f.value();
      switch (key.size()) {
        case 2:
          if (key == "ts") {
            std::string_view tok = v.raw_json_token();
            if (tok[0] == 'n') break;
            if (tok[0] == '"') {
              Str s;
              if (!string(v, &s, "")) return false;
              if (!parse_iso(s.v, &r.ts)) return fail(Fail::Value, "field 'ts': invalid TIMESTAMP");
            } else if (tok[0] == '-' || (tok[0] >= '0' && tok[0] <= '9')) {
              if (v.get_int64().get(r.ts)) return fail(Fail::Type, "field 'ts': expected epoch milliseconds");
            } else {
              return fail(Fail::Type, "field 'ts': expected TIMESTAMP");
            }
            r.ts_valid = true;
          }
          break;
        case 6:
          if (key == "amount") {
            std::string_view tok = v.raw_json_token();
            if (tok[0] == 'n') break;
            if (tok[0] != '-' && (tok[0] < '0' || tok[0] > '9'))
              return fail(Fail::Type, "field 'amount': expected DOUBLE");
            if (v.get_double().get(r.amount)) return fail(Fail::Malformed, "invalid number");
            r.amount_valid = true;
          } else if (key == "status") {
            if (!string(v, &r.status, "field 'status': expected STRING")) return false;
          } else if (key == "device") {
            std::string_view tok = v.raw_json_token();
            if (tok[0] == 'n') {
              r.os.valid = false;
              break;
            }
            if (tok[0] != '{') return fail(Fail::Type, "field 'device': expected ROW");
            od::object dev;
            if (v.get_object().get(dev)) return fail(Fail::Malformed, "malformed JSON");
            r.os.valid = false;
            for (auto dr : dev) {
              od::field df;
              if (std::move(dr).get(df)) return fail(Fail::Malformed, "malformed JSON");
              std::string_view dk;
              if (df.unescaped_key().get(dk)) return fail(Fail::Malformed, "bad key");
              if (dk == "os" && !string(df.value(), &r.os, "field 'device.os': expected STRING"))
                return false;
            }
          }
          break;
        case 8:
          if (key == "order_id") {
            if (!string(v, &r.order_id, "field 'order_id': expected STRING")) return false;
          } else if (key == "currency") {
            if (!string(v, &r.currency, "field 'currency': expected STRING")) return false;
          }
          break;
        case 10:
          if (key == "event_type" && !string(v, &r.event_type, "field 'event_type': expected STRING"))
            return false;
          break;
        case 11:
          if (key == "customer_id" && !string(v, &r.customer_id, "field 'customer_id': expected STRING"))
            return false;
          break;
        default: break;
      }
    }
    const char* after = nullptr;  // simdjson 3.0 has no document::at_end()
    if (doc.current_location().get(after) == simdjson::SUCCESS)
      return fail(Fail::Malformed, "unexpected content after the object");
    if (!r.order_id.valid) return fail(Fail::NotNull, "field 'order_id' is NOT NULL but missing");
    if (!r.ts_valid) return fail(Fail::NotNull, "field 'ts' is NOT NULL but missing");
    return true;
  }
};

// ------------------------------------------------------------------ main

struct Counters {
  uint64_t records = 0, rows_out = 0, filtered = 0, dead_letters = 0, decode_errors = 0,
           warn_has_customer = 0, drop_known_currency = 0, dlq_positive_amount = 0, bytes_in = 0;
};

void dead_letter(Writer* dlq, const char* path, uint64_t line, std::string_view record,
                 const char* error, const char* constraint) {
  if (!dlq) return;
  dlq->put("{\"error\":");
  put_string(*dlq, error);
  if (constraint) {
    dlq->put(",\"constraint\":");
    put_string(*dlq, constraint);
  }
  dlq->put(",\"pipeline\":\"filter_project_constraints\",\"source\":{\"file\":");
  put_string(*dlq, path);
  dlq->put(",\"line\":");
  char* p = dlq->ensure(20);
  dlq->commit(static_cast<size_t>(std::to_chars(p, p + 20, line).ptr - p));
  dlq->put("},\"record\":");
  if (simdjson::validate_utf8(record.data(), record.size())) {
    put_string(*dlq, record);
  } else {
    dlq->put('"');
    put_base64(*dlq, record);
    dlq->put("\",\"record_encoding\":\"base64\"");
  }
  dlq->put("}\n");
}

void put_id(Writer& w, std::string_view order_id, std::string& scratch) {
  scratch.assign("pipec-id-v1:key");
  scratch.push_back('\x04');
  uint64_t n = order_id.size();
  for (int i = 0; i < 8; ++i) scratch.push_back(static_cast<char>(n >> (8 * i)));
  scratch.append(order_id);
  XXH128_canonical_t c;
  XXH128_canonicalFromHash(&c, XXH3_128bits(scratch.data(), scratch.size()));
  char* p = w.ensure(32);
  for (int i = 0; i < 16; ++i) p[2 * i] = kHex[c.digest[i] >> 4], p[2 * i + 1] = kHex[c.digest[i] & 15];
  w.commit(32);
}

// The query of the pipeline, record by record.
struct Query {
  Query(Writer& out, Writer* dead_letters) : w(out), dlq(dead_letters) {}
  Writer& w;
  Writer* dlq;
  Counters cnt;
  Decoder dec;
  Record r;
  DayCache index_day, ts_day;
  std::string id_scratch;

  // One record at p[0..n) with `capacity` readable bytes from p (simdjson
  // padding); `source`/`position` name it in a dead letter.
  void record(const char* p, size_t n, size_t capacity, const char* source, uint64_t position) {
    static constexpr std::string_view kCurrencies[] = {"EUR", "USD", "GBP", "CHF", "JPY"};
    ++cnt.records;
    std::string_view rec(p, n);
    if (!dec.parse(p, n, capacity, r)) {
      ++cnt.decode_errors;
      ++cnt.dead_letters;
      dead_letter(dlq, source, position, rec, dec.error, nullptr);
      return;
    }
    if (!(r.event_type.valid && r.event_type.v == "order" && r.status.valid && r.status.v != "cancelled")) {
      ++cnt.filtered;
      return;
    }
    if (!r.customer_id.valid) ++cnt.warn_has_customer;
    bool known = !r.currency.valid;  // NULL passes a constraint
    for (std::string_view c : kCurrencies) known |= r.currency.valid && r.currency.v == c;
    if (!known) {
      ++cnt.drop_known_currency;
      return;
    }
    if (r.amount_valid && !(r.amount >= 0)) {
      ++cnt.dlq_positive_amount;
      ++cnt.dead_letters;
      dead_letter(dlq, source, position, rec, "constraint 'positive_amount' violated: amount >= 0",
                  "positive_amount");
      return;
    }
    ++cnt.rows_out;
    // Action line.
    int64_t day = r.ts >= 0 ? r.ts / 86'400'000 : (r.ts - 86'399'999) / 86'400'000;
    index_day.set(day);
    char* a = w.ensure(64);
    std::memcpy(a, "{\"index\":{\"_index\":\"orders-", 27);
    std::memcpy(a + 27, index_day.ymd, 10);
    a[31] = '.', a[34] = '.';
    std::memcpy(a + 37, "\",\"_id\":\"", 9);
    w.commit(46);
    put_id(w, r.order_id.v, id_scratch);
    w.put("\"}}\n{\"order_id\":");
    put_string(w, r.order_id.v);
    w.put(",\"customer_id\":");
    r.customer_id.valid ? put_string(w, r.customer_id.v) : w.put("null");
    w.put(",\"amount\":");
    r.amount_valid ? put_double(w, r.amount) : w.put("null");
    w.put(",\"currency\":");
    r.currency.valid ? put_string(w, r.currency.v) : w.put("null");
    w.put(",\"status\":");
    put_string(w, r.status.v);
    w.put(",\"os\":");
    r.os.valid ? put_string(w, r.os.v) : w.put("null");
    w.put(",\"ts\":");
    put_ts(w, ts_day, r.ts);
    w.put("}\n");
  }
};

void usage() {
  std::fputs("usage: handwritten_baseline --in EVENTS.ndjson --out OUT.bulk.ndjson [--dlq DLQ.ndjson]\n"
             "       handwritten_baseline --kafka BOOTSTRAP --topic T --group G --out OUT [--dlq DLQ] [--seconds S]\n",
             stderr);
  std::exit(2);
}

// ------------------------------------------------------------------ kafka input

void kafka_set(rd_kafka_conf_t* conf, const char* key, const std::string& value) {
  char err[256];
  if (rd_kafka_conf_set(conf, key, value.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
    std::fprintf(stderr, "kafka property %s: %s\n", key, err);
    std::exit(2);
  }
}

// Consumes `topic` into q until every partition is at its end (seconds == 0)
// or for `seconds`.
void consume_kafka(const char* bootstrap, const char* topic, const char* group, double seconds, Query& q) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  kafka_set(conf, "bootstrap.servers", bootstrap);
  kafka_set(conf, "group.id", group);
  kafka_set(conf, "enable.auto.commit", "false");
  kafka_set(conf, "auto.offset.reset", "earliest");
  kafka_set(conf, "partition.assignment.strategy", "cooperative-sticky");
  kafka_set(conf, "queued.min.messages", "1000000");
  kafka_set(conf, "fetch.min.bytes", "1048576");
  kafka_set(conf, "fetch.wait.max.ms", "100");
  kafka_set(conf, "enable.partition.eof", seconds > 0 ? "false" : "true");
  char err[512];
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
  if (!rk) {
    std::fprintf(stderr, "kafka: %s\n", err);
    std::exit(2);
  }
  rd_kafka_poll_set_consumer(rk);
  rd_kafka_queue_t* queue = rd_kafka_queue_get_consumer(rk);
  int partitions = 0;
  {
    rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, topic, nullptr);
    const rd_kafka_metadata_t* md = nullptr;
    if (rd_kafka_metadata(rk, 0, rkt, &md, 10000) || md->topic_cnt != 1 || md->topics[0].err) {
      std::fprintf(stderr, "kafka: no metadata for topic %s\n", topic);
      std::exit(2);
    }
    partitions = md->topics[0].partition_cnt;
    rd_kafka_metadata_destroy(md);
    rd_kafka_topic_destroy(rkt);
  }
  rd_kafka_topic_partition_list_t* sub = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(sub, topic, RD_KAFKA_PARTITION_UA);
  rd_kafka_subscribe(rk, sub);
  rd_kafka_topic_partition_list_destroy(sub);

  std::vector<char> scratch;
  std::vector<bool> at_end(static_cast<size_t>(partitions));
  int ends = 0;
  auto start = std::chrono::steady_clock::now();
  auto last_commit = start;
  constexpr size_t kBatch = 512;
  rd_kafka_message_t* batch[kBatch];
  for (;;) {
    ssize_t got = 0;
    if (rd_kafka_message_t* first = rd_kafka_consumer_poll(rk, 100)) {
      batch[0] = first;
      ssize_t more = rd_kafka_consume_batch_queue(queue, 0, batch + 1, kBatch - 1);
      got = 1 + (more > 0 ? more : 0);
    }
    for (ssize_t i = 0; i < got; ++i) {
      rd_kafka_message_t* m = batch[i];
      if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        if (m->partition >= 0 && m->partition < partitions && !at_end[static_cast<size_t>(m->partition)]) {
          at_end[static_cast<size_t>(m->partition)] = true;
          ++ends;
        }
      } else if (m->err) {
        std::fprintf(stderr, "kafka: %s\n", rd_kafka_message_errstr(m));
      } else {
        if (scratch.size() < m->len + simdjson::SIMDJSON_PADDING) scratch.resize(m->len + simdjson::SIMDJSON_PADDING);
        std::memcpy(scratch.data(), m->payload, m->len);
        q.cnt.bytes_in += m->len;
        q.record(scratch.data(), m->len, scratch.size(), topic, static_cast<uint64_t>(m->offset));
      }
      rd_kafka_message_destroy(m);
    }
    auto now = std::chrono::steady_clock::now();
    bool done = seconds > 0 ? now - start >= std::chrono::duration<double>(seconds) : ends == partitions;
    if (done || now - last_commit >= std::chrono::seconds(1)) {
      rd_kafka_commit(rk, nullptr, done ? 0 : 1);  // the consumed positions
      last_commit = now;
    }
    if (done) break;
  }
  rd_kafka_queue_destroy(queue);
  rd_kafka_consumer_close(rk);
  rd_kafka_destroy(rk);
}

}  // namespace

int main(int argc, char** argv) {
  const char *in = nullptr, *out = nullptr, *dlq_path = nullptr;
  const char *bootstrap = nullptr, *topic = nullptr, *group = "handwritten-baseline";
  double seconds = 0;
  for (int a = 1; a < argc; ++a) {
    std::string_view arg = argv[a];
    if (a + 1 >= argc) usage();
    if (arg == "--in") in = argv[++a];
    else if (arg == "--out") out = argv[++a];
    else if (arg == "--dlq") dlq_path = argv[++a];
    else if (arg == "--kafka") bootstrap = argv[++a];
    else if (arg == "--topic") topic = argv[++a];
    else if (arg == "--group") group = argv[++a];
    else if (arg == "--seconds") seconds = std::atof(argv[++a]);
    else usage();
  }
  if (!out || !in == !bootstrap || !bootstrap != !topic) usage();
  if (bootstrap) {
    auto t0 = std::chrono::steady_clock::now();
    Writer w(out);
    std::unique_ptr<Writer> dlq(dlq_path ? new Writer(dlq_path) : nullptr);
    Query q(w, dlq.get());
    consume_kafka(bootstrap, topic, group, seconds, q);
    w.flush();
    if (dlq) dlq->flush();
    rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double cpu = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
                 static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
    std::fprintf(stderr,
                 "handwritten_baseline: kafka %s: %" PRIu64 " records, %" PRIu64 " rows out, %" PRIu64
                 " dead letters; %.3f s, CPU %.3f s\n",
                 topic, q.cnt.records, q.cnt.rows_out, q.cnt.dead_letters,
                 std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), cpu);
    return 0;
  }
  int fd = ::open(in, O_RDONLY);
  if (fd < 0) {
    std::perror(in);
    return 2;
  }
  auto t0 = std::chrono::steady_clock::now();
  Writer w(out);
  std::unique_ptr<Writer> dlq(dlq_path ? new Writer(dlq_path) : nullptr);

  // Input in 8 MiB blocks; a line cut by the block end is moved to the front
  // of the buffer before the next read. The padding lets simdjson read past
  // the end of the last line.
  constexpr size_t kBlock = 8 << 20;
  const size_t cap = kBlock + simdjson::SIMDJSON_PADDING;
  std::unique_ptr<char[]> buf(new char[cap]);
  size_t have = 0;
  bool eof = false;
  uint64_t line_no = 0;
  Query q(w, dlq.get());
  Counters& cnt = q.cnt;

  while (!eof || have) {
    while (!eof && have < kBlock) {
      ssize_t got = ::read(fd, buf.get() + have, kBlock - have);
      if (got < 0) {
        std::perror("read");
        return 2;
      }
      if (got == 0) eof = true;
      have += static_cast<size_t>(got);
      cnt.bytes_in += static_cast<uint64_t>(got);
    }
    std::memset(buf.get() + have, 0, simdjson::SIMDJSON_PADDING);
    const char* p = buf.get();
    const char* end = buf.get() + have;
    while (p < end) {
      const char* nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<size_t>(end - p)));
      // A partial line: read more first (unless it fills the whole block).
      if (!nl && !eof && !(p == buf.get() && have == kBlock)) break;
      const char* le = nl ? nl : end;
      size_t n = static_cast<size_t>(le - p);
      ++line_no;
      size_t first = 0;
      while (first < n && (p[first] == ' ' || p[first] == '\t' || p[first] == '\r')) ++first;
      if (first < n) q.record(p, n, cap - static_cast<size_t>(p - buf.get()), in, line_no);
      p = nl ? nl + 1 : end;
    }
    size_t rest = static_cast<size_t>(end - p);
    std::memmove(buf.get(), p, rest);
    have = rest;
    if (eof && rest == 0) break;
  }
  ::close(fd);
  w.flush();
  if (dlq) dlq->flush();
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::fprintf(stderr,
               "handwritten_baseline: %" PRIu64 " records, %" PRIu64 " rows out, %" PRIu64
               " filtered, %" PRIu64 " dead letters (%" PRIu64 " decode, %" PRIu64
               " positive_amount), %" PRIu64 " dropped by known_currency, %" PRIu64
               " has_customer warnings; %.3f s, %.1f MB/s\n",
               cnt.records, cnt.rows_out, cnt.filtered, cnt.dead_letters, cnt.decode_errors,
               cnt.dlq_positive_amount, cnt.drop_known_currency, cnt.warn_has_customer, s,
               static_cast<double>(cnt.bytes_in) / 1e6 / s);
  return 0;
}
