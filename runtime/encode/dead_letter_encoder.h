// Encodes dead letters as NDJSON, one object per line:
//
//   {"error":"field 'amount': expected DOUBLE, got string \"abc\"",
//    "constraint":null,"pipeline":"orders",
//    "source":{"file":"/data/in.ndjson","line":17},
//    "record":"{\"amount\":\"abc\"}","time":"2024-01-02T03:04:05.678Z"}
//
// Kafka records carry "source":{"topic":"t","partition":0,"offset":42}.
//
// The raw record is kept exactly: when its bytes are valid UTF-8, "record" is
// them as a JSON string; otherwise "record" is their base64 (RFC 4648, padded)
// and "record_encoding":"base64" follows it. Every other string is written
// with invalid UTF-8 bytes replaced by U+FFFD.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/encode/byte_buffer.h"
#include "runtime/vector/source_position.h"

namespace pipec {

struct DeadLetter {
  std::string_view error;       // why the record was rejected
  std::string_view constraint;  // the violated constraint's name; empty -> null
  std::string_view record;      // the raw record bytes
  SourcePosition pos;
  std::string_view kind;        // the counting bucket: "decode malformed_json", "constraint c", "sink", ...
};

class DeadLetterEncoder {
 public:
  DeadLetterEncoder(std::string pipeline, std::vector<SourceDescriptor> sources);

  // Appends one line; `time_millis` is when the record was rejected.
  void encode(const DeadLetter& letter, int64_t time_millis, ByteBuffer& out) const;

 private:
  std::string pipeline_;
  std::vector<SourceDescriptor> sources_;
};

}  // namespace pipec
