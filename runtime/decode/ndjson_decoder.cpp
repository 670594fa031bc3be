#include "runtime/decode/ndjson_decoder.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <stdexcept>

#include "runtime/decode/key_matcher.h"
#include "runtime/decode/utf8.h"
#include "runtime/common/timestamp.h"

namespace pipec {

namespace od = simdjson::ondemand;
static_assert(InputChunk::kPadding >= simdjson::SIMDJSON_PADDING,
              "records are parsed in place, so chunks must carry simdjson's padding");

namespace {

constexpr uint32_t kNone = KeyMatcher::kNone;

bool is_ws(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool is_digit(char c) { return static_cast<unsigned char>(c - '0') < 10; }

std::string_view trim_right(std::string_view t) {
  size_t n = t.size();
  while (n && is_ws(t[n - 1])) --n;
  return t.substr(0, n);
}

// The number of ASCII digits at p, before end, 8 bytes at a time (one branch
// for a short run of digits). Reads up to 7 bytes beyond end: a token inside
// a padded record has them.
size_t leading_digits(const char* p, const char* end) {
  const size_t n = static_cast<size_t>(end - p);
  for (size_t i = 0;; i += 8) {
    if (i >= n) return n;
    uint64_t v;
    std::memcpy(&v, p + i, 8);
    // The high bit of each byte that is not '0'..'9'. Carries and borrows only
    // reach later bytes (little-endian), so the first such byte is exact.
    uint64_t non_digit =
        ((v + 0x4646464646464646) | (v - 0x3030303030303030)) & 0x8080808080808080;
    if (non_digit) return std::min(n, i + static_cast<size_t>(std::countr_zero(non_digit)) / 8);
  }
}

// JSON number grammar; `integral` is true when there is no fraction or
// exponent. `t` must be followed by 7 readable bytes (see leading_digits).
bool scan_number(std::string_view t, bool* integral) {
  const char* p = t.data();
  const char* const end = p + t.size();
  if (p < end && *p == '-') ++p;
  size_t digits = leading_digits(p, end);
  if (digits == 0 || (digits > 1 && *p == '0')) return false;
  p += digits;
  *integral = true;
  if (p < end && *p == '.') {
    ++p;
    digits = leading_digits(p, end);
    if (digits == 0) return false;
    p += digits;
    *integral = false;
  }
  if (p < end && (*p == 'e' || *p == 'E')) {
    ++p;
    if (p < end && (*p == '+' || *p == '-')) ++p;
    digits = leading_digits(p, end);
    if (digits == 0) return false;
    p += digits;
    *integral = false;
  }
  return p == end;
}

// True for a number token of at most 8 bytes that is digits, or digits, '.'
// and digits ("4", "144.58"), as JSON writes them: one 8-byte load instead of
// scan_number(). False may still be a number. Reads 7 bytes past the token.
bool is_short_plain_number(std::string_view t) {
  const size_t n = t.size();
  if (n == 0 || n > 8) return false;
  const uint64_t in_token = n == 8 ? ~uint64_t{0} : (uint64_t{1} << (8 * n)) - 1;
  const auto non_digits = [in_token](uint64_t v) {
    // Exact up to the first non-digit (see leading_digits()).
    return ((v + 0x4646464646464646) | (v - 0x3030303030303030)) & 0x8080808080808080 & in_token;
  };
  uint64_t v;
  std::memcpy(&v, t.data(), 8);
  const uint64_t first = non_digits(v);
  const bool leading_zero = t[0] == '0';
  if (first == 0) return n == 1 || !leading_zero;
  const size_t dot = static_cast<size_t>(std::countr_zero(first)) / 8;
  if (t[dot] != '.' || dot == 0 || dot + 1 == n || (dot > 1 && leading_zero)) return false;
  // The '.' made a '0' ('.' + 2), the rest must be digits.
  return non_digits(v + (uint64_t{2} << (8 * dot))) == 0;
}

// Parses a token that scan_number() found integral; false on int64 overflow.
bool parse_int64(std::string_view t, int64_t* out) {
  bool neg = t[0] == '-';
  uint64_t v = 0;
  for (size_t i = neg; i < t.size(); ++i) {
    uint64_t d = static_cast<uint64_t>(t[i] - '0');
    if (v > (UINT64_MAX - d) / 10) return false;
    v = v * 10 + d;
  }
  uint64_t limit = neg ? uint64_t{1} << 63 : (uint64_t{1} << 63) - 1;
  if (v > limit) return false;
  *out = neg ? static_cast<int64_t>(uint64_t{0} - v) : static_cast<int64_t>(v);
  return true;
}

// The bytes between the quotes of a string token, which runs from the opening
// quote to the next structural character: a quote after the closing one would
// open a string, which is structural, so a token ending in a quote ends with
// the closing one. Anything else (`"abc"x`) is searched.
std::string_view string_body(std::string_view tok) {
  if (tok.size() >= 2 && tok.back() == '"') return tok.substr(1, tok.size() - 2);  // no blanks after
  std::string_view t = trim_right(tok);
  if (t.size() >= 2 && t.back() == '"') return t.substr(1, t.size() - 2);
  const char* body = tok.data() + 1;
  const char* quote = static_cast<const char*>(std::memchr(body, '"', tok.size() - 1));
  return {body, static_cast<size_t>(quote - body)};
}

// At most `max` bytes of s, not cutting a UTF-8 sequence, with "..." if cut.
std::string clip(std::string_view s, size_t max = 40) {
  if (s.size() <= max) return std::string(s);
  size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return std::string(s.substr(0, n)) + "...";
}

// "string \"abc\"", "number 1.5", "boolean true", "object", "array", "null".
std::string describe_value(std::string_view tok) {
  std::string_view t = trim_right(tok);
  switch (t.empty() ? '\0' : t[0]) {
    case '"': {
      std::string_view body = t.substr(1, t.size() >= 2 ? t.size() - 2 : 0);
      return "string \"" + clip(body) + "\"";
    }
    case '{': return "object";
    case '[': return "array";
    case 't':
    case 'f': return "boolean " + clip(t);
    case 'n': return "null";
    default: return "number " + clip(t);
  }
}

std::string describe_char(const char* p, const char* end) {
  if (p >= end) return "end of input";
  unsigned char c = static_cast<unsigned char>(*p);
  if (c >= 0x20 && c < 0x7F) return fmt::format("'{}'", static_cast<char>(c));
  return fmt::format("byte 0x{:02X}", c);
}

// Where stage 1 found a string problem: the first unescaped control character
// inside a string, and the opening quote of an unterminated string.
struct StringScan {
  size_t control_at;
  size_t unclosed_at;
};
StringScan scan_strings(std::string_view rec) {
  StringScan r{rec.size(), rec.size()};
  bool in = false;
  size_t start = 0;
  for (size_t i = 0; i < rec.size(); ++i) {
    char c = rec[i];
    if (!in) {
      if (c == '"') in = true, start = i;
    } else if (c == '\\') {
      ++i;
    } else if (c == '"') {
      in = false;
    } else if (static_cast<unsigned char>(c) < 0x20 && r.control_at == rec.size()) {
      r.control_at = i;
    }
  }
  if (in) r.unclosed_at = start;
  return r;
}

// The bytes of a field's key between its quotes, still escaped. Its closing
// quote is the last non-blank byte before the ':' that precedes the value
// (stage 1 found both outside strings), so the key itself is not scanned.
std::string_view raw_key(od::field& f, std::string_view value_token) {
  const char* key = f.key().raw();
  const char* p = value_token.data() - 1;
  if (*p == ':' && p[-1] == '"') return {key, static_cast<size_t>(p - 1 - key)};  // no blanks
  while (is_ws(*p)) --p;  // the ':'
  --p;
  while (is_ws(*p)) --p;  // the closing quote
  return {key, static_cast<size_t>(p - key)};
}

// One JSON key along the spec's paths. The root is the top-level object.
struct Node {
  std::string key;                 // the JSON key (empty for the root)
  std::string name;                // dotted path, for messages
  uint32_t column = kNone;         // column reading this node's value, if any
  bool plain_string = false;       // a leaf read into a STRING column (not raw_json)
  std::vector<uint32_t> children;  // nodes for keys below this one
  KeyMatcher keys;                 // key -> child node
  std::vector<uint32_t> below;     // every column strictly below this node
};

struct ColumnInfo {
  TypeId type;
  PhysicalType physical;
  bool raw;
  std::string name;
};

// The one place that reaches into simdjson's On-Demand internals (3.0.1): the
// document's json_iterator, a protected member of od::document. Its position()
// is the current token's entry in stage 1's structural index, which holds the
// offset of every structural character and of the first byte of every scalar,
// and ends with entries equal to the input's length.
class OnDemandTokens : od::document {
 public:
  // The entry of the current token: the value reached and not yet consumed.
  static const uint32_t* position(od::document& doc) { return iterator_of(doc).position(); }
  // Past the last entry of a structural character or scalar (before the ones
  // equal to the input's length).
  static const uint32_t* end_position(od::document& doc) {
    return IteratorEnd::of(iterator_of(doc));
  }

  // Consumes the current value, a container ending before the token at `next`,
  // as iterating it would: the enclosing object or array resumes at `next`
  // instead of skipping the value token by token. A top-level value is left
  // as it is (nothing resumes after it), and so is everything while the
  // document is walked by tokens alone: the iterator stays at the root.
  static void consume_container(od::document& doc, const uint32_t* next) {
    od::json_iterator& iter = iterator_of(doc);
    const od::depth_t value_depth = iter.depth();
    if (value_depth < 2) return;
    // reenter_child(position, depth) needs the iterator at depth - 1; ending
    // at value_depth - 1 is where finishing the container would leave it.
    iter.ascend_to(value_depth - 1);
    iter.ascend_to(value_depth - 2);
    iter.reenter_child(next, value_depth - 1);
  }

  // Consumes the current value, a scalar at `at`, as skipping it would.
  static void consume_scalar(od::document& doc, const uint32_t* at) {
    od::json_iterator& iter = iterator_of(doc);
    if (iter.position() != at) return;
    iter.return_current_and_advance();
    iter.ascend_to(iter.depth() - 1);
  }

  // The number token at p as On-Demand's get_double() reads it (p must be
  // inside a padded record): the same parser, without a value to iterate.
  static bool parse_double(const char* p, double* out) {
    return simdjson::builtin::numberparsing::parse_double(reinterpret_cast<const uint8_t*>(p))
               .get(*out) == simdjson::SUCCESS;
  }

 private:
  static od::json_iterator& iterator_of(od::document& doc) { return doc.*&OnDemandTokens::iter; }
  // json_iterator::end_position() is protected as well.
  class IteratorEnd : od::json_iterator {
   public:
    static const uint32_t* of(const od::json_iterator& it) {
      return (it.*&IteratorEnd::end_position)();
    }
  };
};

}  // namespace

class NdjsonDecoder::Impl {
 public:
  Impl(DecodeSpec spec, DecodeOptions options);

  bool decode(const std::shared_ptr<const InputChunk>& chunk, Batch& batch, DecodeErrors& errors,
              DecodeCursor& cursor);

  DecodeSpec spec;
  DecodeOptions options;
  DecodeStats stats;

 private:
  bool decode_records(const InputChunk& chunk, DecodeCursor& cursor);
  void decode_record(const char* p, size_t n, size_t readable, SourcePosition pos);
  bool parse_row(size_t readable);
  bool check_not_null();
  bool walk_tokens(const Node& node, uint32_t depth);
  bool walk_object(od::object& obj, const Node& node, uint32_t depth);
  bool visit(od::value* v, std::string_view tok, const Node& node, uint32_t depth);
  bool convert(std::string_view tok, uint32_t col, uint32_t depth);
  bool read_integer(std::string_view tok, uint32_t col, uint32_t depth, int64_t* out);
  // The string value whose token is `tok`: zero-copy into the chunk unless it
  // has escapes (inline: most values read are strings without any).
  bool read_string(std::string_view tok, StringRef* out) {
    std::string_view body = string_body(tok);
    if (has_escape(body)) return read_escaped_string(tok, out);
    *out = StringRef{body.data(), static_cast<uint32_t>(body.size())};
    return true;
  }
  bool read_escaped_string(std::string_view tok, StringRef* out);
  bool unescape_string(std::string_view tok, std::string_view* out);
  bool unescape_key(od::field& f, std::string_view raw, std::string_view* key);
  // Checks that the value whose token is `tok` (at value_at_, reached but not
  // consumed) is well-formed, and sets *end (if given) to the byte after it.
  // A container is consumed (value_at_ moves past it), a scalar is left.
  bool validate(std::string_view tok, uint32_t depth, const char** end = nullptr) {
    if (tok[0] == '{' || tok[0] == '[') return validate_container(tok, depth, end);
    if (end) *end = tok.data() + trim_right(tok).size();
    return validate_scalar(tok);
  }
  bool validate_container(std::string_view tok, uint32_t depth, const char** end);
  // A scalar token, which runs to the next structural character or scalar.
  bool validate_scalar(std::string_view tok) {
    // Stage 1 has checked strings but for their escapes.
    if (tok[0] == '"') return !has_escapes_ || validate_escapes(tok);
    return validate_literal_or_number(tok);
  }
  // Numbers, most of the scalars validated, are tried first: short plain ones
  // in one load, the others by scan_number().
  bool validate_literal_or_number(std::string_view tok) {
    if (is_short_plain_number(tok)) return true;
    bool integral;
    return scan_number(trim_right(tok), &integral) || validate_literal_or_fail(tok);
  }
  bool validate_literal_or_fail(std::string_view tok);
  bool validate_escapes(std::string_view tok);
  bool fail_unexpected(const char* at) {
    return fail_malformed(at, "unexpected " + describe_char(at, rec_ + rec_size_));
  }
  // The token at p is not what the grammar allows there.
  bool fail_token(const uint32_t* p) {
    if (*p >= rec_size_) return fail_malformed(rec_ + rec_size_, "unexpected end of input");
    return fail_unexpected(rec_ + *p);
  }
  bool fail_not_an_object(const char* start);
  bool capture_raw(std::string_view tok, uint32_t depth, StringRef* out);
  const char* location_after_value(const char* start);

  // Row slot writers.
  template <typename T> void put(uint32_t col, T value) {
    static_cast<T*>(values_[col])[row_] = value;
    validity_[col][row_ >> 6] |= uint64_t{1} << (row_ & 63);
  }
  void put_null(uint32_t col);
  void clear_validity(uint32_t from_row);
  void zero_null_slots(uint32_t from_row, uint32_t to_row);

  // Structural errors (malformed JSON, too deep, ...) stop the walk: fail*()
  // record them and return false. Value errors (mismatch, overflow, invalid
  // value) are deferred: the first one is kept and the walk goes on, so that a
  // record that is also malformed further on is reported as malformed.
  bool fail(DecodeErrorKind kind, std::string reason);
  bool fail_json(simdjson::error_code code, const char* at = nullptr);
  bool fail_malformed(const char* at, std::string_view what);
  // False (malformed) for a string value followed by ':'. simdjson skips an
  // unconsumed string followed by ':' as if it were a key (simdjson issue
  // #1742), so `{"a":"b":"c"}` would otherwise pass. The token of a value
  // ends where the next structural character begins.
  bool string_value_ends(std::string_view tok) {
    if (tok[0] != '"' || tok.data()[tok.size()] != ':') return true;
    return fail_malformed(tok.data() + tok.size(), "unexpected ':'");
  }
  bool fail_too_deep(const char* at);
  bool defer(DecodeErrorKind kind, std::string reason);
  bool mismatch(std::string_view tok, uint32_t depth, const std::string& name,
                std::string_view expected);
  bool overflow(uint32_t col, std::string_view tok);

  std::vector<Node> nodes_;  // nodes_[0] is the root
  std::vector<ColumnInfo> cols_;
  std::vector<uint32_t> not_null_cols_;

  od::parser parser_;
  od::document doc_;

  // Per-decode() state.
  Batch* batch_ = nullptr;
  DecodeErrors* errors_ = nullptr;
  std::vector<void*> values_;
  std::vector<uint64_t*> validity_;

  // Per-record state.
  const char* rec_ = nullptr;
  size_t rec_size_ = 0;
  uint32_t row_ = 0;
  uint32_t epoch_ = 0;
  // The structural index entry of the value being read (see OnDemandTokens).
  const uint32_t* value_at_ = nullptr;
  const uint32_t* index_end_ = nullptr;  // OnDemandTokens::end_position()
  // The record has a backslash somewhere: only then can a string or key in it
  // hold escapes (one scan per record instead of one per string).
  bool has_escapes_ = false;
  bool has_escape(std::string_view s) const {
    return has_escapes_ && std::memchr(s.data(), '\\', s.size());
  }
  std::vector<uint32_t> seen_;  // seen_[col] == epoch_: the key was present
  DecodeErrorKind err_kind_ = DecodeErrorKind::MalformedJson;
  std::string err_reason_;
  bool deferred_ = false;
  DecodeErrorKind deferred_kind_ = DecodeErrorKind::TypeMismatch;
  std::string deferred_reason_;
  // Scratch for validate_container() and unescape_string().
  std::string closers_;
  std::vector<uint8_t> unescaped_;
};

NdjsonDecoder::Impl::Impl(DecodeSpec s, DecodeOptions o) : spec(std::move(s)), options(o) {
  if (std::string problem = spec.validate(); !problem.empty())
    throw std::invalid_argument("invalid decode spec: " + problem);
  if (options.max_record_size > UINT32_MAX)
    throw std::invalid_argument("max_record_size must fit in 32 bits");
  if (options.max_depth < 1) options.max_depth = 1;

  nodes_.emplace_back();
  for (uint32_t c = 0; c < spec.columns.size(); ++c) {
    const DecodeField& col = spec.columns[c];
    cols_.push_back({col.type->id, col.type->physical(), col.raw_json, path_display_name(col.path)});
    if (col.external) continue;  // stays NULL for the source to fill
    if (col.not_null) not_null_cols_.push_back(c);
    uint32_t node = 0;
    for (const std::string& key : col.path) {
      nodes_[node].below.push_back(c);
      uint32_t next = kNone;
      for (uint32_t child : nodes_[node].children)
        if (nodes_[child].key == key) next = child;
      if (next == kNone) {
        next = static_cast<uint32_t>(nodes_.size());
        std::string name = node == 0 ? key : nodes_[node].name + "." + key;
        nodes_[node].children.push_back(next);
        nodes_.emplace_back();
        nodes_.back().key = key;
        nodes_.back().name = std::move(name);
      }
      node = next;
    }
    nodes_[node].column = c;
  }
  for (Node& node : nodes_) {
    node.plain_string = node.children.empty() && node.column != kNone &&
                        cols_[node.column].type == TypeId::String && !cols_[node.column].raw;
    std::vector<KeyMatcher::Entry> keys;
    for (uint32_t child : node.children) keys.push_back({nodes_[child].key, child});
    node.keys = KeyMatcher(std::move(keys));
  }
  seen_.assign(cols_.size(), 0);
  values_.resize(cols_.size());
  validity_.resize(cols_.size());
}

bool NdjsonDecoder::Impl::decode(const std::shared_ptr<const InputChunk>& chunk_ptr, Batch& batch,
                                 DecodeErrors& errors, DecodeCursor& cursor) {
  const InputChunk& chunk = *chunk_ptr;
  if (batch.columns.size() != cols_.size())
    throw std::invalid_argument("batch does not have the decoder's column layout");
  for (size_t c = 0; c < cols_.size(); ++c) {
    if (batch.columns[c].type() != cols_[c].physical)
      throw std::invalid_argument("batch does not have the decoder's column layout");
    values_[c] = batch.columns[c].raw_data();
    validity_[c] = batch.columns[c].validity();
  }
  batch_ = &batch;
  errors_ = &errors;
  batch.retain(chunk_ptr);
  // Every new row starts all NULL; values set their bit as they arrive.
  const uint32_t first_row = batch.size;
  clear_validity(first_row);
  bool done = decode_records(chunk, cursor);
  zero_null_slots(first_row, batch.size);
  return done;
}

bool NdjsonDecoder::Impl::decode_records(const InputChunk& chunk, DecodeCursor& cursor) {
  Batch& batch = *batch_;
  const char* data = chunk.data();
  if (!chunk.frames.empty()) {
    while (cursor.frame < chunk.frames.size() && !batch.full()) {
      const InputChunk::Frame& f = chunk.frames[cursor.frame++];
      stats.bytes += f.size;
      decode_record(data + f.begin, f.size, chunk.padded_size() - f.begin,
                    SourcePosition{chunk.source_file, chunk.partition, f.offset});
    }
    return cursor.frame >= chunk.frames.size();
  }

  const char* p = data + cursor.offset;
  const char* end = data + chunk.size();
  uint64_t line = cursor.line ? cursor.line : chunk.first_line;
  while (p < end && !batch.full()) {
    const char* nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<size_t>(end - p)));
    const char* line_end = nl ? nl : end;
    const char* next = nl ? nl + 1 : end;
    stats.bytes += static_cast<size_t>(next - p);
    size_t n = static_cast<size_t>(line_end - p);
    if (n && p[n - 1] == '\r') --n;
    size_t first = 0;
    while (first < n && is_ws(p[first])) ++first;
    if (first == n) {
      ++stats.blank_lines;
    } else {
      decode_record(p, n, chunk.padded_size() - static_cast<size_t>(p - data),
                    SourcePosition{chunk.source_file, chunk.partition, line});
    }
    ++line;
    p = next;
  }
  cursor.offset = static_cast<size_t>(p - data);
  cursor.line = line;
  return p >= end;
}

void NdjsonDecoder::Impl::decode_record(const char* p, size_t n, size_t readable,
                                        SourcePosition pos) {
  ++stats.records;
  rec_ = p;
  rec_size_ = n;
  row_ = batch_->size;
  StringArena::Mark mark = batch_->arena.mark();
  if (parse_row(readable)) {
    batch_->raw[row_] = StringRef{p, static_cast<uint32_t>(n)};
    batch_->positions[row_] = pos;
    batch_->row_status[row_] = static_cast<uint8_t>(RowStatus::Live);
    batch_->row_reason[row_] = 0;
    ++batch_->size;
    ++stats.rows;
    return;
  }
  batch_->arena.rewind(mark);
  for (uint32_t c = 0; c < cols_.size(); ++c) put_null(c);  // the row slot is reused: NULL again
  ++errors_->counts[static_cast<size_t>(err_kind_)];
  errors_->errors.push_back(DecodeError{err_kind_, pos, std::string(p, n), std::move(err_reason_)});
  err_reason_.clear();
}

bool NdjsonDecoder::Impl::parse_row(size_t readable) {
  if (rec_size_ > options.max_record_size)
    return fail(DecodeErrorKind::RecordTooLarge,
                fmt::format("record of {} bytes exceeds the maximum record size of {} bytes",
                            rec_size_, options.max_record_size));
  size_t first = 0;
  while (first < rec_size_ && is_ws(rec_[first])) ++first;
  if (first == rec_size_) return fail_malformed(rec_ + first, "empty record");

  if (rec_size_ > parser_.capacity()) {
    size_t want = std::max({rec_size_, parser_.capacity() * 2, size_t{64 * 1024}});
    if (parser_.allocate(std::min(want, std::max(rec_size_, options.max_record_size))))
      return fail(DecodeErrorKind::RecordTooLarge, "out of memory allocating the JSON parser");
  }
  if (auto err = parser_.iterate(rec_, rec_size_, readable).get(doc_); err) {
    std::string_view rec(rec_, rec_size_);
    switch (err) {
      case simdjson::UTF8_ERROR:
        return fail(DecodeErrorKind::InvalidUtf8,
                    fmt::format("invalid UTF-8 at byte {}", first_invalid_utf8(rec)));
      case simdjson::UNESCAPED_CHARS:
        return fail_malformed(rec_ + scan_strings(rec).control_at,
                              "unescaped control character in string");
      case simdjson::UNCLOSED_STRING:
        return fail_malformed(rec_ + scan_strings(rec).unclosed_at, "unclosed string");
      default: return fail_malformed(rec_ + first, simdjson::error_message(err));
    }
  }

  // A fresh row: every column is NULL (decode() cleared its bits) until a value arrives.
  ++epoch_;
  has_escapes_ = std::memchr(rec_, '\\', rec_size_) != nullptr;
  deferred_ = false;

  if (rec_[first] != '{') return fail_not_an_object(rec_ + first);
  // The fields are walked through stage 1's structural index. A record that
  // walk does not accept as it is - malformed, or with a value error to
  // report - is walked again by On-Demand, which words the error: its checks
  // run in the same order, so the first problem found is the same one.
  value_at_ = OnDemandTokens::position(doc_);
  index_end_ = OnDemandTokens::end_position(doc_);
  const StringArena::Mark mark = batch_->arena.mark();
  if (walk_tokens(nodes_[0], 1) && *value_at_ >= rec_size_ && !deferred_) return check_not_null();
  batch_->arena.rewind(mark);
  for (uint32_t c = 0; c < cols_.size(); ++c) put_null(c);
  ++epoch_;
  deferred_ = false;
  err_reason_.clear();
  od::object obj;
  if (auto err = doc_.get_object().get(obj); err) {
    // At the root simdjson checks that the record closes the object it opens.
    size_t last = rec_size_;
    while (last > 0 && is_ws(rec_[last - 1])) --last;
    if (err == simdjson::INCOMPLETE_ARRAY_OR_OBJECT)
      return fail_malformed(rec_ + (last ? last - 1 : 0), "the record does not end with '}'");
    return fail_json(err);
  }
  if (!walk_object(obj, nodes_[0], 1)) return false;
  const char* after = nullptr;
  if (doc_.current_location().get(after) == simdjson::SUCCESS)
    return fail_malformed(after, "unexpected content after the top-level object");
  if (deferred_) return fail(deferred_kind_, std::move(deferred_reason_));
  return check_not_null();
}

bool NdjsonDecoder::Impl::check_not_null() {
  for (uint32_t col : not_null_cols_) {
    if (!((validity_[col][row_ >> 6] >> (row_ & 63)) & 1))
      return fail(DecodeErrorKind::NotNullViolation,
                  fmt::format("field '{}' is NOT NULL but {}", cols_[col].name,
                              seen_[col] == epoch_ ? "null" : "missing"));
  }
  return true;
}

// A key without escapes is its own unescaped form (stage 1 has checked its
// UTF-8); one with escapes is unescaped, which validates them.
bool NdjsonDecoder::Impl::unescape_key(od::field& f, std::string_view raw, std::string_view* key) {
  if (!has_escape(raw)) {
    *key = raw;
    return true;
  }
  if (auto err = f.unescaped_key().get(*key); err) return fail_json(err, raw.data() - 1);
  return true;
}

// The object at value_at_, walked through the structural index: its fields
// are read as walk_object() reads them, and value_at_ ends past its '}'.
// False - with or without an error recorded - for anything but a well-formed
// object of keys without escapes: parse_row() then walks the record again
// with On-Demand, which words the error.
bool NdjsonDecoder::Impl::walk_tokens(const Node& node, uint32_t depth) {
  const char* const rec = rec_;
  const uint32_t size = static_cast<uint32_t>(rec_size_);
  const uint32_t* p = value_at_ + 1;
  if (*p < size && rec[*p] == '}') {
    value_at_ = p + 1;
    return true;
  }
  for (;;) {
    // A field: a key, ':', a value and the token after the value, all four
    // at entries of the index's that are inside the record. (A string token
    // is at least its two quotes long.)
    if (p + 3 >= index_end_ || rec[p[0]] != '"' || rec[p[1]] != ':' || p[1] - p[0] < 2)
      return false;
    // The key's closing quote is the byte before the ':' but for blanks.
    std::string_view key{rec + p[0] + 1, p[1] - p[0] - 2};
    if (rec[p[1] - 1] != '"') {
      key = trim_right({rec + p[0], p[1] - p[0]});
      if (key.size() < 2 || key.back() != '"') return false;
      key = key.substr(1, key.size() - 2);
    }
    uint32_t child = node.keys.find_padded(key);  // a match has no escapes
    if (child == kNone && has_escape(key)) return false;
    // A ',', ':', '}' or ']' where the value belongs fails validate(), which
    // each way of reading a value takes for a token it does not accept.
    std::string_view tok{rec + p[2], p[3] - p[2]};
    const char c = tok[0];
    value_at_ = p + 2;
    if (child != kNone) {
      if (!visit(nullptr, tok, nodes_[child], depth + 1)) return false;
    } else if (!validate(tok, depth + 1)) {
      return false;
    }
    if (c == '{' || c == '[') {
      p = value_at_;  // past the container (left at p + 2 it fails the check below)
      if (*p >= size) return false;
    } else {
      p += 3;
    }
    if (rec[*p] == '}') {
      value_at_ = p + 1;
      return true;
    }
    if (rec[*p] != ',') return false;
    ++p;
  }
}

bool NdjsonDecoder::Impl::walk_object(od::object& obj, const Node& node, uint32_t depth) {
  for (auto field_result : obj) {
    if (auto err = field_result.error(); err) return fail_json(err);
    // A reference, not a copy: copying the fresh field stalls on store forwarding.
    od::field& field = field_result.value_unsafe();
    od::value& value = field.value();
    const uint32_t* const at = OnDemandTokens::position(doc_);
    value_at_ = at;
    std::string_view tok = value.raw_json_token();
    if (!string_value_ends(tok)) return false;
    std::string_view raw = raw_key(field, tok);
    uint32_t child = node.keys.find_padded(raw);  // a match has no escapes
    if (child == kNone && has_escapes_) {
      std::string_view key;
      if (!unescape_key(field, raw, &key)) return false;
      if (key.data() != raw.data()) child = node.keys.find(key);
    }
    if (child != kNone) {
      if (!visit(&value, tok, nodes_[child], depth + 1)) return false;
    } else if (options.validate_unused) {
      if (!validate(tok, depth + 1)) return false;
    } else {
      continue;  // unchecked: left to the iterator's skip
    }
    // A well-formed value: consuming a scalar here is cheaper than the
    // iterator's skip, which would look at its token again.
    if (tok[0] != '{' && tok[0] != '[') OnDemandTokens::consume_scalar(doc_, at);
  }
  return true;
}

// v is the value's On-Demand handle when walk_object() reached it, null when
// walk_tokens() did. Inlined into both: a call per field read costs ~4 % of the
// decoder's instructions.
[[gnu::always_inline]] inline bool NdjsonDecoder::Impl::visit(od::value* v, std::string_view tok,
                                                              const Node& node, uint32_t depth) {
  if (node.column != kNone) seen_[node.column] = epoch_;
  if (node.plain_string && tok[0] == '"') {  // most columns: no type switch
    StringRef s;
    if (!read_string(tok, &s)) return false;
    put(node.column, s);
    return true;
  }
  if (node.children.empty()) return convert(tok, node.column, depth);

  // An object the spec descends into. A repeated key replaces what an earlier
  // occurrence decoded below it (last occurrence wins).
  for (uint32_t col : node.below) put_null(col);
  if (node.column != kNone) put_null(node.column);
  if (tok[0] == 'n') return validate(tok, depth);  // null: everything below is NULL
  if (tok[0] != '{') return mismatch(tok, depth, node.name, "ROW");
  if (depth > options.max_depth) return fail_too_deep(tok.data());
  if (v == nullptr) {
    if (!walk_tokens(node, depth)) return false;
  } else {
    od::object obj;
    if (auto err = v->get_object().get(obj); err) return fail_json(err, tok.data());
    if (!walk_object(obj, node, depth)) return false;
  }
  if (node.column != kNone) {
    const char* end = v ? location_after_value(tok.data()) : rec_ + value_at_[-1] + 1;
    put(node.column, StringRef{tok.data(), static_cast<uint32_t>(end - tok.data())});
  }
  return true;
}

bool NdjsonDecoder::Impl::convert(std::string_view tok, uint32_t col, uint32_t depth) {
  const ColumnInfo& c = cols_[col];
  char first = tok[0];
  if (first == 'n') {
    if (trim_right(tok) != "null") return fail_malformed(tok.data(), "invalid literal");
    put_null(col);
    return true;
  }
  switch (c.type) {
    case TypeId::BigInt:
    case TypeId::Interval: {
      int64_t x;
      if (!read_integer(tok, col, depth, &x)) return false;
      put(col, x);
      return true;
    }
    case TypeId::Double: {
      if (first != '-' && !is_digit(first)) return mismatch(tok, depth, c.name, "DOUBLE");
      double d;
      if (OnDemandTokens::parse_double(tok.data(), &d)) {
        put(col, d);
        return true;
      }
      // simdjson rejects malformed and out-of-range numbers alike: tell them apart.
      std::string_view t = trim_right(tok);
      bool integral;
      if (!scan_number(t, &integral)) return fail_malformed(tok.data(), "invalid number");
      return overflow(col, t);
    }
    case TypeId::Boolean: {
      if (first != 't' && first != 'f') return mismatch(tok, depth, c.name, "BOOLEAN");
      std::string_view t = trim_right(tok);
      if (t != "true" && t != "false") return fail_malformed(tok.data(), "invalid literal");
      put(col, static_cast<uint8_t>(first == 't'));
      return true;
    }
    case TypeId::String: {
      StringRef s;
      if (c.raw) {
        if (!capture_raw(tok, depth, &s)) return false;
      } else {
        if (first != '"') return mismatch(tok, depth, c.name, "STRING");
        if (!read_string(tok, &s)) return false;
      }
      put(col, s);
      return true;
    }
    case TypeId::Timestamp: {
      int64_t millis;
      if (first == '"') {
        StringRef s;
        if (!read_string(tok, &s)) return false;
        std::string_view why;
        if (!parse_iso8601_millis(s.view(), &millis, &why))
          return defer(DecodeErrorKind::InvalidValue,
                       fmt::format("field '{}': invalid TIMESTAMP {}: {}", c.name,
                                   describe_value(tok), why));
      } else if (!read_integer(tok, col, depth, &millis)) {
        return false;
      }
      put(col, millis);
      return true;
    }
    case TypeId::Row:
    case TypeId::Array: {
      char want = c.type == TypeId::Row ? '{' : '[';
      if (first != want) return mismatch(tok, depth, c.name, type_id_name(c.type));
      StringRef s;
      if (!capture_raw(tok, depth, &s)) return false;
      put(col, s);
      return true;
    }
    case TypeId::Null: break;
  }
  return mismatch(tok, depth, c.name, type_id_name(c.type));
}

bool NdjsonDecoder::Impl::read_integer(std::string_view tok, uint32_t col, uint32_t depth,
                                       int64_t* out) {
  const ColumnInfo& c = cols_[col];
  std::string_view type_name = type_id_name(c.type);
  if (tok[0] != '-' && !is_digit(tok[0])) return mismatch(tok, depth, c.name, type_name);
  std::string_view t = trim_right(tok);
  bool integral;
  if (!scan_number(t, &integral)) return fail_malformed(tok.data(), "invalid number");
  if (integral) {
    if (!parse_int64(t, out)) return overflow(col, t);
    return true;
  }
  // 1.0 and 1e3 are integers written as floats; accept them while the double
  // holds the value exactly.
  double d;
  if (!OnDemandTokens::parse_double(tok.data(), &d)) return overflow(col, t);
  if (d != std::trunc(d)) return mismatch(tok, depth, c.name, type_name);
  if (std::fabs(d) > 9007199254740992.0) return overflow(col, t);
  *out = static_cast<int64_t>(d);
  return true;
}

bool NdjsonDecoder::Impl::read_escaped_string(std::string_view tok, StringRef* out) {
  std::string_view unescaped;
  if (!unescape_string(tok, &unescaped))
    return fail_malformed(tok.data(), "invalid escape sequence in string");
  *out = batch_->arena.copy(unescaped);
  return true;
}

// A record is only "not an object" when it is valid JSON of another type:
// `not json`, `tru`, `[1,` or `"x" y` are malformed.
bool NdjsonDecoder::Impl::fail_not_an_object(const char* start) {
  std::string_view tok;
  if (auto err = doc_.raw_json_token().get(tok); err) return fail_json(err, start);
  value_at_ = OnDemandTokens::position(doc_);
  const char* end;
  if (!validate(tok, 1, &end)) return false;
  const char* rec_end = rec_ + rec_size_;
  while (end < rec_end && is_ws(*end)) ++end;
  if (end < rec_end) return fail_malformed(end, "unexpected content after the top-level value");
  std::string_view kind;
  switch (*start) {
    case '[': kind = "array"; break;
    case '"': kind = "string"; break;
    case 't':
    case 'f': kind = "boolean"; break;
    case 'n': kind = "null"; break;
    default: kind = "number"; break;  // validate() accepted it as one
  }
  return fail(DecodeErrorKind::NotAnObject, fmt::format("expected a JSON object at the top level, got {}", kind));
}

// Walks the container through the structural index with a small grammar
// automaton: every token is judged by its first byte, scalars by their text.
// Cheaper than od::object / od::array, which set up an iterator per field, and
// the container is then consumed at once instead of skipped token by token.
bool NdjsonDecoder::Impl::validate_container(std::string_view tok, uint32_t depth,
                                             const char** end) {
  const uint32_t* p = value_at_;
  if (rec_ + *p != tok.data())  // offsets are relative to the record, which iterate() was given
    throw std::logic_error("simdjson's token position does not match the value being validated");
  // Locals, not members: stores into `closers` could alias members.
  const char* const rec = rec_;
  const uint32_t size = static_cast<uint32_t>(rec_size_);
  const bool has_escapes = has_escapes_;
  const uint32_t max_depth = options.max_depth;
  // The first byte of the token at q, '\0' past the end of the record.
  const auto token = [rec, size](const uint32_t* q) { return *q < size ? rec[*q] : '\0'; };
  // closers[i] closes the i-th container open, the outermost (at `depth`)
  // first. Each one opened takes a byte of the record and a level of depth.
  const size_t max_open = std::min<size_t>(size, max_depth) + 1;
  if (closers_.size() < max_open) closers_.resize(max_open);
  char* const closers = closers_.data();
  uint32_t open = 0;
  bool in_object = false;  // a key comes next
  for (;;) {
    if (in_object) {
      if (token(p) != '"') return fail_token(p);
      if (has_escapes && !validate_escapes({rec + p[0], p[1] - p[0]})) return false;
      ++p;
      if (token(p) != ':') return fail_token(p);
      ++p;
    }
    // A value.
    const char c = token(p);
    if (c == '{' || c == '[') {
      if (depth + open > max_depth) return fail_too_deep(rec + *p);
      const char closer = static_cast<char>(c + 2);  // '}' or ']'
      ++p;
      if (token(p) != closer) {
        closers[open++] = closer;
        in_object = c == '{';
        continue;
      }
      ++p;  // empty
    } else if (c == '"') {
      if (has_escapes && !validate_escapes({rec + p[0], p[1] - p[0]})) return false;
      ++p;
    } else {
      if (*p >= size) return fail_token(p);
      if (!validate_literal_or_number({rec + p[0], p[1] - p[0]})) return false;
      ++p;
    }
    // After a value: close containers, or take a ',' to the next value.
    for (;;) {
      if (open == 0) {
        if (end) *end = rec + p[-1] + 1;
        value_at_ = p;
        OnDemandTokens::consume_container(doc_, p);
        return true;
      }
      const char next = token(p);
      if (next == ',') {
        ++p;
        in_object = closers[open - 1] == '}';
        break;
      }
      if (next != closers[open - 1]) return fail_token(p);
      ++p;
      --open;
    }
  }
}

// A token that is not a number: a literal, or malformed.
bool NdjsonDecoder::Impl::validate_literal_or_fail(std::string_view tok) {
  switch (tok[0]) {
    case 't':
    case 'f':
    case 'n': {
      std::string_view t = trim_right(tok);
      if (t != "true" && t != "false" && t != "null")
        return fail_malformed(tok.data(), "invalid literal");
      return true;
    }
    case '-': return fail_malformed(tok.data(), "invalid number");
    default:
      if (is_digit(tok[0])) return fail_malformed(tok.data(), "invalid number");
      return fail_unexpected(tok.data());
  }
}

// A string token (a key or a value): its escapes, if it has any, must unescape.
bool NdjsonDecoder::Impl::validate_escapes(std::string_view tok) {
  if (!has_escapes_ || !std::memchr(tok.data(), '\\', tok.size())) return true;
  std::string_view unescaped;
  if (!unescape_string(tok, &unescaped))
    return fail_malformed(tok.data(), "invalid escape sequence in string");
  return true;
}

// The body of string token `tok` unescaped into scratch, as On-Demand's
// get_string() would; false if an escape is invalid.
bool NdjsonDecoder::Impl::unescape_string(std::string_view tok, std::string_view* out) {
  size_t need = tok.size() + simdjson::SIMDJSON_PADDING;  // simdjson writes whole blocks
  if (unescaped_.size() < need) unescaped_.resize(std::max(need, 2 * unescaped_.size()));
  uint8_t* dst = unescaped_.data();
  od::raw_json_string body(reinterpret_cast<const uint8_t*>(tok.data()) + 1);
  return parser_.unescape(body, dst).get(*out) == simdjson::SUCCESS;
}

bool NdjsonDecoder::Impl::capture_raw(std::string_view tok, uint32_t depth, StringRef* out) {
  const char* end;
  if (!validate(tok, depth, &end)) return false;
  *out = StringRef{tok.data(), static_cast<uint32_t>(end - tok.data())};
  return true;
}

const char* NdjsonDecoder::Impl::location_after_value(const char* start) {
  const char* loc = nullptr;
  if (doc_.current_location().get(loc) != simdjson::SUCCESS) loc = rec_ + rec_size_;
  while (loc > start && is_ws(loc[-1])) --loc;
  return loc;
}

// Only the bit: zero_null_slots() zeroes the slots of NULLs once per decode().
void NdjsonDecoder::Impl::put_null(uint32_t col) {
  validity_[col][row_ >> 6] &= ~(uint64_t{1} << (row_ & 63));
}

void NdjsonDecoder::Impl::clear_validity(uint32_t from_row) {
  for (uint32_t c = 0; c < cols_.size(); ++c) {
    uint64_t* words = validity_[c];
    uint32_t w = from_row >> 6;
    const uint32_t n = batch_->columns[c].validity_words();
    if (w >= n) continue;
    words[w] &= (uint64_t{1} << (from_row & 63)) - 1;
    std::fill(words + w + 1, words + n, uint64_t{0});
  }
}

// NULL slots hold the zero value (see vector.h); rows no value reached still
// hold whatever an earlier batch or a failed record left there.
void NdjsonDecoder::Impl::zero_null_slots(uint32_t from_row, uint32_t to_row) {
  for (uint32_t c = 0; c < cols_.size(); ++c) {
    const uint64_t* words = validity_[c];
    for (uint32_t w = from_row >> 6; w << 6 < to_row; ++w) {
      uint64_t rows = ~uint64_t{0};
      if (w == from_row >> 6) rows &= ~uint64_t{0} << (from_row & 63);
      if ((w + 1) << 6 > to_row) rows &= (uint64_t{1} << (to_row & 63)) - 1;
      for (uint64_t nulls = rows & ~words[w]; nulls; nulls &= nulls - 1) {
        batch_->columns[c].set_null((w << 6) + static_cast<uint32_t>(std::countr_zero(nulls)));
      }
    }
  }
}

bool NdjsonDecoder::Impl::fail(DecodeErrorKind kind, std::string reason) {
  err_kind_ = kind;
  err_reason_ = std::move(reason);
  return false;
}

bool NdjsonDecoder::Impl::fail_malformed(const char* at, std::string_view what) {
  size_t offset = static_cast<size_t>(std::clamp(at, rec_, rec_ + rec_size_) - rec_);
  return fail(DecodeErrorKind::MalformedJson,
              fmt::format("malformed JSON at byte {}: {}", offset, what));
}

bool NdjsonDecoder::Impl::fail_json(simdjson::error_code code, const char* at) {
  if (at == nullptr) {
    const char* loc = nullptr;
    at = doc_.current_location().get(loc) == simdjson::SUCCESS ? loc : rec_ + rec_size_;
  }
  const char* end = rec_ + rec_size_;
  switch (code) {
    case simdjson::NUMBER_ERROR: return fail_malformed(at, "invalid number");
    case simdjson::STRING_ERROR: return fail_malformed(at, "invalid escape sequence in string");
    case simdjson::T_ATOM_ERROR:
    case simdjson::F_ATOM_ERROR:
    case simdjson::N_ATOM_ERROR: return fail_malformed(at, "invalid literal");
    case simdjson::INCOMPLETE_ARRAY_OR_OBJECT:
      return fail_malformed(end, "unexpected end of input");
    case simdjson::DEPTH_ERROR: return fail_too_deep(at);
    default: return fail_malformed(at, "unexpected " + describe_char(at, end));
  }
}

bool NdjsonDecoder::Impl::defer(DecodeErrorKind kind, std::string reason) {
  if (!deferred_) {
    deferred_ = true;
    deferred_kind_ = kind;
    deferred_reason_ = std::move(reason);
  }
  return true;
}

bool NdjsonDecoder::Impl::mismatch(std::string_view tok, uint32_t depth, const std::string& name,
                                   std::string_view expected) {
  // The value is not converted, but it must still be well-formed JSON.
  if (!validate(tok, depth)) return false;
  return defer(DecodeErrorKind::TypeMismatch,
               fmt::format("field '{}': expected {}, got {}", name, expected, describe_value(tok)));
}

bool NdjsonDecoder::Impl::overflow(uint32_t col, std::string_view tok) {
  return defer(DecodeErrorKind::Overflow,
               fmt::format("field '{}': number {} is out of range for {}", cols_[col].name,
                           clip(tok), type_id_name(cols_[col].type)));
}

bool NdjsonDecoder::Impl::fail_too_deep(const char* at) {
  size_t offset = static_cast<size_t>(std::clamp(at, rec_, rec_ + rec_size_) - rec_);
  return fail(DecodeErrorKind::TooDeep,
              fmt::format("nesting exceeds the maximum depth of {} at byte {}", options.max_depth,
                          offset));
}

// ------------------------------------------------------------------ facade

NdjsonDecoder::NdjsonDecoder(DecodeSpec spec, DecodeOptions options)
    : impl_(std::make_unique<Impl>(std::move(spec), options)) {}
NdjsonDecoder::~NdjsonDecoder() = default;
NdjsonDecoder::NdjsonDecoder(NdjsonDecoder&&) noexcept = default;
NdjsonDecoder& NdjsonDecoder::operator=(NdjsonDecoder&&) noexcept = default;

bool NdjsonDecoder::decode(const std::shared_ptr<const InputChunk>& chunk, Batch& batch,
                           DecodeErrors& errors, DecodeCursor& cursor) {
  return impl_->decode(chunk, batch, errors, cursor);
}

bool NdjsonDecoder::decode(const std::shared_ptr<const InputChunk>& chunk, Batch& batch,
                           DecodeErrors& errors) {
  DecodeCursor cursor;
  return impl_->decode(chunk, batch, errors, cursor);
}

Batch NdjsonDecoder::make_batch(uint32_t capacity) const {
  return Batch(impl_->spec.column_types(), capacity);
}

const DecodeSpec& NdjsonDecoder::spec() const { return impl_->spec; }
const DecodeOptions& NdjsonDecoder::options() const { return impl_->options; }
const DecodeStats& NdjsonDecoder::stats() const { return impl_->stats; }

}  // namespace pipec
