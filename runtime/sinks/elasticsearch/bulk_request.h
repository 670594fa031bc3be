// One _bulk request body: whole action (+ source) line pairs, and for each
// document an opaque 64-bit ticket that the caller gets back exactly once, in
// an acknowledgement or a dead letter (bulk_client.h). Retries rebuild a new
// BulkRequest from the failed items of an answered one (append_item), so a
// request is never re-sent whole after a partial failure.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

struct libdeflate_compressor;

namespace pipec::es {

// Chosen by the caller; typically an index into its delivery tracker.
using Ticket = uint64_t;

// The action of an item, read from its action line.
enum class BulkOp : uint8_t { Index, Create, Update, Delete, Unknown };
const char* bulk_op_name(BulkOp op);
// The action of `{"create":{...}}`-style line: the first key.
BulkOp parse_bulk_op(std::string_view action_line);

struct BulkItem {
  Ticket ticket = 0;
  uint32_t begin = 0;     // offset of the action line in the body
  uint32_t end = 0;       // offset just past the item's last '\n'
  uint16_t attempts = 0;  // delivery attempts already made for this document
  BulkOp op = BulkOp::Index;
  uint32_t size() const { return end - begin; }
};

class BulkRequest {
 public:
  BulkRequest() = default;
  BulkRequest(BulkRequest&&) noexcept = default;
  BulkRequest& operator=(BulkRequest&&) noexcept = default;
  BulkRequest(const BulkRequest&) = delete;
  BulkRequest& operator=(const BulkRequest&) = delete;

  // From an encoder's output (runtime/encode/bulk_encoder.h): `ends[i]` is the
  // offset just past document i (BulkEncodeResult::ends) and `tickets[i]` its
  // ticket. The body is copied. Throws std::invalid_argument when the sizes
  // differ, ends do not increase to body.size(), or a document does not end
  // in '\n'.
  static BulkRequest from_encoded(std::string_view body, std::span<const size_t> ends,
                                  std::span<const Ticket> tickets);

  // Appends one document: its action line and, except for delete, its source
  // line, each ending in '\n'. Throws std::invalid_argument when `item` does
  // not end in '\n' or the body would pass 4 GiB.
  void add(std::string_view item, Ticket ticket, uint16_t attempts = 0);
  // Appends items [from, to) of `other` (bytes, tickets, attempts) with one copy.
  void append_items(const BulkRequest& other, size_t from, size_t to);
  void append_item(const BulkRequest& other, size_t i) { append_items(other, i, i + 1); }

  size_t size() const { return items_.size(); }
  bool empty() const { return items_.empty(); }
  size_t bytes() const { return body_.size(); }
  size_t capacity() const { return body_.capacity(); }
  const std::string& body() const { return body_; }
  const std::vector<BulkItem>& items() const { return items_; }
  std::vector<BulkItem>& items() { return items_; }
  std::string_view item_bytes(size_t i) const {
    return std::string_view(body_).substr(items_[i].begin, items_[i].size());
  }
  // Highest per-item attempt count (0 for an empty request).
  uint16_t max_attempts() const;

  // Cuts into requests of at most max_bytes and max_actions each, whole
  // documents only, order kept; a document larger than max_bytes travels
  // alone. Leaves *this empty.
  std::vector<BulkRequest> split(size_t max_bytes, size_t max_actions);

  void clear() {
    body_.clear();
    items_.clear();
  }
  void reserve(size_t bytes, size_t items) {
    body_.reserve(bytes);
    items_.reserve(items);
  }

 private:
  std::string body_;
  std::vector<BulkItem> items_;
};

// gzip (RFC 1952, libdeflate) for Content-Encoding: gzip. level: 1 (fast) .. 12 (small).
// Keeps its compressor state and output buffer from body to body: a fresh
// multi-megabyte buffer per request costs page faults and zero-filling.
class GzipCompressor {
 public:
  explicit GzipCompressor(int level = 1);
  ~GzipCompressor();
  GzipCompressor(const GzipCompressor&) = delete;
  GzipCompressor& operator=(const GzipCompressor&) = delete;
  // The gzip member of `data`; valid until the next call.
  std::string_view compress(std::string_view data);

 private:
  ::libdeflate_compressor* compressor_;
  std::unique_ptr<char[]> buffer_;
  size_t capacity_ = 0;
};
std::string gzip_compress(std::string_view data, int level = 1);
// Inverse of gzip_compress (also reads concatenated members). Throws
// std::runtime_error on corrupt input or when the output would pass max_output.
std::string gzip_decompress(std::string_view data, size_t max_output = size_t(1) << 32);

}  // namespace pipec::es
