#include "runtime/encode/bulk_encoder.h"

#include <cstring>
#include <stdexcept>

#include "runtime/encode/json_writer.h"

namespace pipec {

BulkEncoder::BulkEncoder(BulkEncoderConfig config) : config_(std::move(config)) {
  if (config_.action != "index" && config_.action != "create")
    throw std::invalid_argument("bulk action must be \"index\" or \"create\", not \"" +
                                config_.action + "\"");
  if (config_.id_mode == DocumentIdMode::Key && config_.id_key.empty())
    throw std::invalid_argument("document id mode Key needs at least one key column");
  action_open_ = "{\"" + config_.action + "\":{\"_index\":\"";
  for (size_t i = 0; i < config_.fields.size(); ++i) {
    ByteBuffer b;
    b.push_back(i == 0 ? '{' : ',');
    append_json_string(b, config_.fields[i].name);
    b.push_back(':');
    key_prefix_.push_back(b.str());
  }
}

bool BulkEncoder::append_id(const Batch& batch, uint32_t row, ByteBuffer& out,
                            std::string* error) {
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
  char* p = out.ensure(kDocumentIdLength + 9);
  std::memcpy(p, "\",\"_id\":\"", 9);
  hasher_.finish(p + 9);
  out.commit(kDocumentIdLength + 9);
  return true;
}

void BulkEncoder::encode(const Batch& batch, ByteBuffer& out, BulkEncodeResult& result) {
  for (uint32_t row = 0; row < batch.size; ++row) {
    if (batch.row_status[row] != static_cast<uint8_t>(RowStatus::Live)) continue;
    size_t start = out.size();
    std::optional<std::string_view> index = config_.index.render(batch, row, &error_);
    bool ok = index.has_value();
    if (ok) {
      out.append(action_open_);
      out.append(*index);
      ok = append_id(batch, row, out, &error_);
    }
    if (!ok) {
      out.truncate(start);
      result.errors.push_back(BulkRowError{row, std::move(error_)});
      error_.clear();
      continue;
    }
    out.append("\"}}\n");
    for (size_t i = 0; i < config_.fields.size(); ++i) {
      const BulkField& f = config_.fields[i];
      out.append(key_prefix_[i]);
      append_json_value(out, batch.columns[f.column], row, f.type->id, f.raw_json);
    }
    out.append(config_.fields.empty() ? "{}\n" : "}\n");
    result.rows.push_back(row);
    result.ends.push_back(out.size());
  }
}

}  // namespace pipec
