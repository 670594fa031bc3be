#include "runtime/encode/bulk_encoder.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace pipec {

namespace {

namespace w = json_unchecked;

// Field-name prefixes are copied with one fixed-size copy when they fit
// (nearly always): the row's reservation includes this slack.
constexpr size_t kPrefixCopy = 32;
// Room reserved per document beyond its fixed parts (see encode()).
constexpr size_t kTextSlack = 4096;

constexpr std::string_view kIdOpen = "\",\"_id\":\"";
constexpr std::string_view kActionClose = "\"}}\n";

}  // namespace

BulkEncoder::BulkEncoder(BulkEncoderConfig config) : config_(std::move(config)) {
  if (config_.action != "index" && config_.action != "create")
    throw std::invalid_argument("bulk action must be \"index\" or \"create\", not \"" +
                                config_.action + "\"");
  if (config_.id_mode == DocumentIdMode::Key && config_.id_key.empty())
    throw std::invalid_argument("document id mode Key needs at least one key column");
  action_open_ = "{\"" + config_.action + "\":{\"_index\":\"";
  action_open_length_ = action_open_.size();  // <= kPrefixCopy ("create")
  action_open_.resize(kPrefixCopy, '\0');
  row_fixed_bytes_ = action_open_length_ + kIdOpen.size() + kDocumentIdLength + kActionClose.size() +
                     3 /* "}\n" or "{}\n" */ + kPrefixCopy;
  for (size_t i = 0; i < config_.fields.size(); ++i) {
    const BulkField& f = config_.fields[i];
    ByteBuffer b;
    b.push_back(i == 0 ? '{' : ',');
    append_json_string(b, f.name);
    b.push_back(':');
    std::string prefix = b.str();
    prefix.resize(std::max(prefix.size(), kPrefixCopy), '\0');
    fields_.push_back(FieldWriter{std::move(prefix), b.size(), f.column, JsonColumnWriter(f.type->id, f.raw_json)});
    row_fixed_bytes_ += b.size() + fields_.back().values.fixed_bytes();
  }
}

bool BulkEncoder::document_id(const Batch& batch, uint32_t row, char* id, std::string* error) {
  switch (config_.id_mode) {
    case DocumentIdMode::None: return true;
    case DocumentIdMode::Key:
      hasher_.begin_key();
      for (const BulkField& k : config_.id_key)
        hasher_.add_value(batch.columns[k.column], row, k.type->id);
      break;
    case DocumentIdMode::Position: {
      const SourcePosition& pos = batch.positions[row];
      if (pos.source_file >= config_.sources.size()) {
        *error = "no source descriptor for source file " + std::to_string(pos.source_file);
        return false;
      }
      const SourceDescriptor& src = config_.sources[pos.source_file];
      hasher_.begin_position();
      hasher_.add_string(src.source_name);
      hasher_.add_string(src.path_or_topic);
      hasher_.add_bigint(pos.partition);
      hasher_.add_bigint(static_cast<int64_t>(pos.line_or_offset));
      break;
    }
  }
  hasher_.finish(id);
  return true;
}

void BulkEncoder::encode(const Batch& batch, ByteBuffer& out, BulkEncodeResult& result) {
  const bool with_id = config_.id_mode != DocumentIdMode::None;
  auto reject = [&](uint32_t row) {
    result.errors.push_back(BulkRowError{row, std::move(error_)});
    error_.clear();
  };
  for (uint32_t row = 0; row < batch.size; ++row) {
    if (batch.row_status[row] != static_cast<uint8_t>(RowStatus::Live)) continue;
    std::optional<std::string_view> index = config_.index.render(batch, row, &error_);
    if (!index) {
      reject(row);
      continue;
    }
    // Room for the whole document but its text values, plus slack that the
    // text of typical rows fits in; a text value that does not fit grows the
    // buffer first. Everything else is written without bounds checks.
    size_t room = 2 * row_fixed_bytes_ + index->size() + kTextSlack;
    char* start = out.ensure(room);
    char* limit = start + room;
    std::memcpy(start, action_open_.data(), kPrefixCopy);
    char* p = start + action_open_length_;
    // Index names are padded (IndexTemplate::kNamePadding): short ones in one fixed-size copy.
    static_assert(IndexTemplate::kNamePadding >= kPrefixCopy);
    if (index->size() <= kPrefixCopy) std::memcpy(p, index->data(), kPrefixCopy);
    else std::memcpy(p, index->data(), index->size());
    p += index->size();
    if (with_id) {
      p = w::literal(p, kIdOpen);
      // Written in place; a row without an id leaves nothing: nothing is committed yet.
      if (!document_id(batch, row, p, &error_)) {
        reject(row);
        continue;
      }
      p += kDocumentIdLength;
    }
    p = w::literal(p, kActionClose);
    for (FieldWriter& f : fields_) {
      const Vector& column = batch.columns[f.column];
      if (f.values.has_text()) {
        size_t need = f.values.text_bytes(column, row) + row_fixed_bytes_;
        if (need > static_cast<size_t>(limit - p)) {
          out.commit(static_cast<size_t>(p - start));
          start = p = out.ensure(need);
          limit = start + need;
        }
      }
      if (f.prefix_length <= kPrefixCopy) std::memcpy(p, f.prefix.data(), kPrefixCopy);
      else std::memcpy(p, f.prefix.data(), f.prefix_length);
      p += f.prefix_length;
      p = f.values.write(column, row, p);
    }
    if (fields_.empty()) p = w::literal(p, "{}\n");
    else p = w::literal(p, "}\n");
    out.commit(static_cast<size_t>(p - start));
    result.rows.push_back(row);
    result.ends.push_back(out.size());
  }
}

}  // namespace pipec
