#include "runtime/sinks/elasticsearch/bulk_request.h"

#include <libdeflate.h>
#include <zlib.h>

#include <algorithm>
#include <limits>
#include <memory>
#include <stdexcept>

#include <fmt/format.h>

namespace pipec::es {

const char* bulk_op_name(BulkOp op) {
  switch (op) {
    case BulkOp::Index: return "index";
    case BulkOp::Create: return "create";
    case BulkOp::Update: return "update";
    case BulkOp::Delete: return "delete";
    case BulkOp::Unknown: break;
  }
  return "unknown";
}

BulkOp parse_bulk_op(std::string_view line) {
  size_t i = 0;
  auto skip_ws = [&] {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r' || line[i] == '\n')) ++i;
  };
  skip_ws();
  if (i >= line.size() || line[i] != '{') return BulkOp::Unknown;
  ++i;
  skip_ws();
  if (i >= line.size() || line[i] != '"') return BulkOp::Unknown;
  size_t close = line.find('"', i + 1);
  if (close == std::string_view::npos) return BulkOp::Unknown;
  std::string_view key = line.substr(i + 1, close - i - 1);
  if (key == "index") return BulkOp::Index;
  if (key == "create") return BulkOp::Create;
  if (key == "update") return BulkOp::Update;
  if (key == "delete") return BulkOp::Delete;
  return BulkOp::Unknown;
}

BulkRequest BulkRequest::from_encoded(std::string_view body, std::span<const size_t> ends,
                                      std::span<const Ticket> tickets) {
  if (ends.size() != tickets.size())
    throw std::invalid_argument(fmt::format("bulk body: {} document ends but {} tickets", ends.size(), tickets.size()));
  if (body.size() > std::numeric_limits<uint32_t>::max()) throw std::invalid_argument("bulk body: larger than 4 GiB");
  if (ends.empty() ? !body.empty() : ends.back() != body.size())
    throw std::invalid_argument("bulk body: the last document end is not the body size");
  BulkRequest r;
  r.body_.assign(body);
  r.items_.reserve(ends.size());
  size_t begin = 0;
  for (size_t i = 0; i < ends.size(); ++i) {
    size_t end = ends[i];
    if (end <= begin || body[end - 1] != '\n')
      throw std::invalid_argument(fmt::format("bulk body: document {} (bytes {}..{}) is empty or does not end in a newline", i, begin, end));
    size_t nl = body.find('\n', begin);
    BulkItem it;
    it.ticket = tickets[i];
    it.begin = static_cast<uint32_t>(begin);
    it.end = static_cast<uint32_t>(end);
    it.op = parse_bulk_op(body.substr(begin, nl - begin));
    r.items_.push_back(it);
    begin = end;
  }
  return r;
}

void BulkRequest::add(std::string_view item, Ticket ticket, uint16_t attempts) {
  if (item.empty() || item.back() != '\n') throw std::invalid_argument("bulk item: must end in a newline");
  if (body_.size() + item.size() > std::numeric_limits<uint32_t>::max())
    throw std::invalid_argument("bulk body: larger than 4 GiB");
  BulkItem it;
  it.ticket = ticket;
  it.begin = static_cast<uint32_t>(body_.size());
  body_.append(item);
  it.end = static_cast<uint32_t>(body_.size());
  it.attempts = attempts;
  it.op = parse_bulk_op(item.substr(0, item.find('\n')));
  items_.push_back(it);
}

void BulkRequest::append_items(const BulkRequest& other, size_t from, size_t to) {
  if (from >= to) return;
  // The items of a request are contiguous and in order (every way of adding keeps them so).
  uint32_t first = other.items_[from].begin, last = other.items_[to - 1].end;
  int64_t shift = static_cast<int64_t>(body_.size()) - first;
  body_.append(other.body_, first, last - first);
  for (size_t k = from; k < to; ++k) {
    BulkItem it = other.items_[k];
    it.begin = static_cast<uint32_t>(it.begin + shift);
    it.end = static_cast<uint32_t>(it.end + shift);
    items_.push_back(it);
  }
}

uint16_t BulkRequest::max_attempts() const {
  uint16_t m = 0;
  for (const BulkItem& it : items_) m = std::max(m, it.attempts);
  return m;
}

std::vector<BulkRequest> BulkRequest::split(size_t max_bytes, size_t max_actions) {
  std::vector<BulkRequest> out;
  if (max_actions == 0) max_actions = 1;
  if (items_.size() <= max_actions && body_.size() <= max_bytes) {
    if (!items_.empty()) out.push_back(std::move(*this));
    clear();
    return out;
  }
  size_t i = 0;
  while (i < items_.size()) {
    // The run [i, j) that fits; at least one document.
    size_t j = i + 1;
    size_t bytes = items_[i].size();
    while (j < items_.size() && j - i < max_actions && bytes + items_[j].size() <= max_bytes) bytes += items_[j++].size();
    BulkRequest piece;
    piece.reserve(bytes, j - i);
    for (size_t k = i; k < j; ++k) piece.append_item(*this, k);
    out.push_back(std::move(piece));
    i = j;
  }
  clear();
  return out;
}

// libdeflate compresses a whole buffer at once, which a bulk body is, several
// times faster than zlib's streaming deflate at the same level.
GzipCompressor::GzipCompressor(int level) : compressor_(libdeflate_alloc_compressor(std::clamp(level, 1, 12))) {
  if (!compressor_) throw std::runtime_error("gzip: cannot allocate a compressor");
}

GzipCompressor::~GzipCompressor() { libdeflate_free_compressor(compressor_); }

std::string_view GzipCompressor::compress(std::string_view data) {
  size_t bound = libdeflate_gzip_compress_bound(compressor_, data.size());
  if (bound > capacity_) {
    buffer_ = std::make_unique_for_overwrite<char[]>(bound);
    capacity_ = bound;
  }
  size_t produced = libdeflate_gzip_compress(compressor_, data.data(), data.size(), buffer_.get(), capacity_);
  if (produced == 0) throw std::runtime_error("gzip: compression did not fit its bound");
  return {buffer_.get(), produced};
}

std::string gzip_compress(std::string_view data, int level) {
  GzipCompressor compressor(level);
  return std::string(compressor.compress(data));
}

std::string gzip_decompress(std::string_view data, size_t max_output) {
  std::string out;
  z_stream zs{};
  if (inflateInit2(&zs, 15 + 32) != Z_OK) throw std::runtime_error("gzip: inflateInit2 failed");
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  char chunk[64 * 1024];
  int rc = Z_OK;
  while (true) {
    zs.next_out = reinterpret_cast<Bytef*>(chunk);
    zs.avail_out = sizeof chunk;
    rc = inflate(&zs, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) break;
    out.append(chunk, sizeof chunk - zs.avail_out);
    if (out.size() > max_output) {
      inflateEnd(&zs);
      throw std::runtime_error("gzip: output too large");
    }
    if (rc == Z_STREAM_END) {
      if (zs.avail_in == 0) break;
      inflateReset(&zs);  // another member follows
    }
  }
  inflateEnd(&zs);
  if (rc != Z_STREAM_END) throw std::runtime_error(fmt::format("gzip: corrupt input ({})", zs.msg ? zs.msg : "truncated"));
  return out;
}

}  // namespace pipec::es
