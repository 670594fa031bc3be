#include "runtime/sources/file_source.h"

#include <fcntl.h>
#include <glob.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "runtime/exec/run_error.h"

namespace pipec {

namespace {

DecodeOptions decode_options(const FileSourceOptions& o) {
  DecodeOptions d;
  d.max_record_size = o.max_record_bytes;
  return d;
}

bool has_glob_chars(const std::string& s) { return s.find_first_of("*?[") != std::string::npos; }

}  // namespace

FileSource::FileSource(const LogicalSource& plan, FileSourceOptions options)
    : options_(std::move(options)), decoder_(decode_spec_of(plan), decode_options(options_)) {
  for (uint32_t c = 0; c < plan.decode.size(); ++c) {
    const auto& m = plan.decode[c].metadata;
    if (m == "line") metadata_.push_back({c, true});
    if (m == "file") metadata_.push_back({c, false});
  }
}

FileSource::~FileSource() { close_file(); }

void FileSource::open() {
  std::vector<std::string> paths;
  const std::string& pattern = options_.path;
  if (pattern.empty()) throw RunError::io("source '" + options_.source_name + "': no 'path' given");
  if (has_glob_chars(pattern)) {
    glob_t g{};
    int rc = ::glob(pattern.c_str(), GLOB_ERR, nullptr, &g);
    if (rc == 0)
      for (size_t i = 0; i < g.gl_pathc; ++i) paths.emplace_back(g.gl_pathv[i]);
    globfree(&g);
    if (paths.empty())
      throw RunError::io("source '" + options_.source_name + "': no file matches '" + pattern + "'");
  } else {
    paths.push_back(pattern);
  }
  descriptors_.clear();
  bytes_total_ = 0;
  for (const auto& p : paths) {
    struct stat st {};
    if (::stat(p.c_str(), &st) != 0)
      throw RunError::io("source '" + options_.source_name + "': cannot read '" + p + "': " + std::strerror(errno));
    if (S_ISDIR(st.st_mode))
      throw RunError::io("source '" + options_.source_name + "': '" + p + "' is a directory");
    if (S_ISREG(st.st_mode)) bytes_total_ += static_cast<uint64_t>(st.st_size);
    descriptors_.push_back({options_.source_name, p});
  }
  file_ = 0;
}

std::vector<std::string> FileSource::files() const {
  std::vector<std::string> out;
  for (const auto& d : descriptors_) out.push_back(d.path_or_topic);
  return out;
}

void FileSource::close_file() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

std::shared_ptr<InputChunk> FileSource::read_chunk(DecodeErrors& errors) {
  const size_t limit = options_.max_record_bytes + 1;  // + a possible '\r'
  while (file_ < descriptors_.size()) {
    const std::string& path = descriptors_[file_].path_or_topic;
    if (fd_ < 0) {
      fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd_ < 0)
        throw RunError::io("source '" + options_.source_name + "': cannot read '" + path + "': " + std::strerror(errno));
      line_ = 1;
      pending_.clear();
      eof_ = false;
      skipping_ = false;
    }
    if (eof_) {
      if (skipping_) {
        report_oversize(errors);
      } else if (!pending_.empty()) {
        // The last line has no newline.
        auto chunk = InputChunk::copy_of(pending_, static_cast<uint32_t>(file_), line_);
        pending_.clear();
        return chunk;
      }
      close_file();
      ++file_;
      continue;
    }

    const size_t prefix = pending_.size();
    auto chunk = chunk_pool_.allocate(prefix + options_.chunk_bytes);
    char* data = chunk->mutable_data();
    std::memcpy(data, pending_.data(), prefix);
    size_t have = prefix;
    while (have < prefix + options_.chunk_bytes) {
      ssize_t n = ::read(fd_, data + have, prefix + options_.chunk_bytes - have);
      if (n < 0) {
        if (errno == EINTR) continue;
        throw RunError::io("source '" + options_.source_name + "': error reading '" + path + "': " + std::strerror(errno));
      }
      if (n == 0) {
        eof_ = true;
        break;
      }
      have += static_cast<size_t>(n);
      bytes_read_.fetch_add(static_cast<uint64_t>(n), std::memory_order_relaxed);
    }

    if (skipping_) {
      // Inside an oversize line: discard up to its newline.
      const char* nl = static_cast<const char*>(std::memchr(data, '\n', have));
      if (!nl) {
        oversize_length_ += have;
        pending_.clear();
        continue;
      }
      size_t n = static_cast<size_t>(nl - data);
      oversize_length_ += n;
      report_oversize(errors);
      ++line_;
      pending_.assign(nl + 1, have - n - 1);
      continue;
    }

    const char* last_nl = static_cast<const char*>(::memrchr(data, '\n', have));
    if (!last_nl) {
      pending_.assign(data, have);
      if (pending_.size() > limit) {
        // Too long whatever follows: keep its start for the dead letter, skip the rest.
        skipping_ = true;
        oversize_head_ = pending_.substr(0, options_.max_record_bytes);
        oversize_length_ = pending_.size();
        pending_.clear();
      }
      continue;
    }
    size_t used = static_cast<size_t>(last_nl - data) + 1;
    pending_.assign(data + used, have - used);
    chunk->set_size(used);
    chunk->source_file = static_cast<uint32_t>(file_);
    chunk->first_line = line_;  // line_ moves on once the decoder has counted the chunk's lines
    return chunk;
  }
  return nullptr;
}

void FileSource::report_oversize(DecodeErrors& errors) {
  skipping_ = false;
  ++oversize_records_;
  size_t length = oversize_length_;
  ++errors.counts[static_cast<size_t>(DecodeErrorKind::RecordTooLarge)];
  errors.errors.push_back(DecodeError{
      DecodeErrorKind::RecordTooLarge, SourcePosition{static_cast<uint32_t>(file_), -1, line_},
      std::move(oversize_head_),
      fmt::format("record of {} bytes exceeds the maximum record size of {} bytes (the dead letter keeps its "
                  "first {} bytes)",
                  length, options_.max_record_bytes, options_.max_record_bytes)});
  oversize_head_.clear();
  oversize_length_ = 0;
}

void FileSource::fill_metadata(Batch& batch, uint32_t from) const {
  for (const auto& m : metadata_) {
    Vector& col = batch.columns[m.column];
    for (uint32_t i = from; i < batch.size; ++i) {
      const SourcePosition& pos = batch.positions[i];
      col.set_valid(i, true);
      if (m.is_line) {
        col.data<int64_t>()[i] = static_cast<int64_t>(pos.line_or_offset);
      } else {
        col.data<StringRef>()[i] = StringRef::of(descriptors_[pos.source_file].path_or_topic);
      }
    }
  }
}

std::shared_ptr<InputChunk> FileSource::next_chunk(DecodeErrors& errors) {
  auto chunk = read_chunk(errors);
  if (chunk) {
    const char* p = chunk->data();
    line_ = chunk->first_line + static_cast<uint64_t>(std::count(p, p + chunk->size(), '\n'));
  }
  return chunk;
}

bool FileSource::decode_chunk(NdjsonDecoder& decoder, const std::shared_ptr<InputChunk>& chunk, Batch& batch,
                              DecodeErrors& errors, DecodeCursor& cursor) const {
  uint32_t before = batch.size;
  bool done = decoder.decode(chunk, batch, errors, cursor);
  fill_metadata(batch, before);
  return done;
}

bool FileSource::next(Batch& batch, DecodeErrors& errors) {
  // Bounded by rows and by errors, so a file of nothing but bad records
  // cannot pile up errors without limit.
  while (!batch.full() && errors.errors.size() < batch.capacity()) {
    if (!chunk_) {
      if (exhausted_) return false;
      chunk_ = read_chunk(errors);
      if (!chunk_) {
        exhausted_ = true;
        return false;
      }
      cursor_ = DecodeCursor{};
    }
    bool done = decode_chunk(decoder_, chunk_, batch, errors, cursor_);
    if (done) {
      line_ = cursor_.line;  // the line after the chunk's last one
      chunk_.reset();
    }
  }
  return true;
}

}  // namespace pipec
