#include "runtime/encode/dead_letter_encoder.h"

#include "runtime/decode/utf8.h"
#include "runtime/encode/json_writer.h"

namespace pipec {

DeadLetterEncoder::DeadLetterEncoder(std::string pipeline, std::vector<SourceDescriptor> sources)
    : pipeline_(std::move(pipeline)), sources_(std::move(sources)) {}

void DeadLetterEncoder::encode(const DeadLetter& letter, int64_t time_millis,
                               ByteBuffer& out) const {
  out.append("{\"error\":");
  append_json_string_lossy(out, letter.error);
  out.append(",\"constraint\":");
  if (letter.constraint.empty()) out.append("null");
  else append_json_string_lossy(out, letter.constraint);
  out.append(",\"pipeline\":");
  append_json_string_lossy(out, pipeline_);

  std::string_view where;  // path or topic; empty for an unknown source
  if (letter.pos.source_file < sources_.size()) where = sources_[letter.pos.source_file].path_or_topic;
  if (letter.pos.is_kafka()) {
    out.append(",\"source\":{\"topic\":");
    append_json_string_lossy(out, where);
    out.append(",\"partition\":");
    append_json_int64(out, letter.pos.partition);
    out.append(",\"offset\":");
  } else {
    out.append(",\"source\":{\"file\":");
    append_json_string_lossy(out, where);
    out.append(",\"line\":");
  }
  append_json_int64(out, static_cast<int64_t>(letter.pos.line_or_offset));

  out.append("},\"record\":");
  if (is_valid_utf8(letter.record)) {
    append_json_string(out, letter.record);
  } else {
    out.push_back('"');
    append_base64(out, letter.record);
    out.append("\",\"record_encoding\":\"base64\"");
  }
  out.append(",\"time\":");
  append_json_timestamp(out, time_millis);
  out.append("}\n");
}

}  // namespace pipec
