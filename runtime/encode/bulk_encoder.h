// Encodes the live rows of a batch as an Elasticsearch _bulk request body:
//
//   {"index":{"_index":"<index>","_id":"<id>"}}\n
//   {"<f1>":<v1>,"<f2>":<v2>}\n
//
// per row, in row order. Field names are written as given (a dotted name such
// as "device.os" stays one flat key; Elasticsearch maps it as an object path).
// Values follow append_json_value() (written by JsonColumnWriter): NULL -> null, ROW/ARRAY text verbatim,
// TIMESTAMP as ISO-8601 UTC with milliseconds. Ids are described in
// document_id.h. An encoder keeps scratch state (index-name cache, id hasher):
// use one per thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "runtime/common/types.h"
#include "runtime/encode/byte_buffer.h"
#include "runtime/encode/document_id.h"
#include "runtime/encode/index_template.h"
#include "runtime/encode/json_writer.h"
#include "runtime/vector/batch.h"

namespace pipec {

struct BulkField {
  std::string name;       // output key
  uint32_t column;        // batch column
  TypePtr type;           // logical type of the column
  bool raw_json = false;  // STRING column holding JSON text: insert verbatim
};

enum class DocumentIdMode : uint8_t {
  Key,       // hash of BulkEncoderConfig::id_key values
  Position,  // hash of (source name, path/topic, partition, line/offset)
  None,      // no _id: Elasticsearch assigns one (re-delivery duplicates)
};

struct BulkEncoderConfig {
  IndexTemplate index;
  std::vector<BulkField> fields;
  DocumentIdMode id_mode = DocumentIdMode::Position;
  std::vector<BulkField> id_key;          // Key mode: the values hashed, in order (names unused)
  std::vector<SourceDescriptor> sources;  // Position mode: indexed by SourcePosition::source_file
  std::string action = "index";           // "index" (upsert) or "create"
};

// A row that could not be encoded (e.g. NULL in the index template's
// timestamp). Nothing of it was written; the caller dead-letters it.
struct BulkRowError {
  uint32_t row;
  std::string reason;
};

struct BulkEncodeResult {
  std::vector<uint32_t> rows;  // batch row of each document written, in output order
  std::vector<size_t> ends;    // output offset just past each document's source line
  std::vector<BulkRowError> errors;
  void clear() {
    rows.clear();
    ends.clear();
    errors.clear();
  }
};

class BulkEncoder {
 public:
  // Throws std::invalid_argument for an unusable config (unknown action, Key
  // mode without key columns).
  explicit BulkEncoder(BulkEncoderConfig config);

  // Appends one action line + source line per live row of `batch` to `out`
  // and records them in `result` (appended to, not cleared).
  void encode(const Batch& batch, ByteBuffer& out, BulkEncodeResult& result);

  const BulkEncoderConfig& config() const { return config_; }

 private:
  // Writes the id of `row` (kDocumentIdLength bytes) to `id`; false (and
  // *error) when the row cannot have one.
  bool document_id(const Batch& batch, uint32_t row, char* id, std::string* error);

  struct FieldWriter {
    std::string prefix;  // {"f1":   ,"f2":   ... (JSON-escaped key), NUL-padded to >= 32 bytes
    size_t prefix_length;
    uint32_t column;
    JsonColumnWriter values;
  };

  BulkEncoderConfig config_;
  std::string action_open_;  // {"index":{"_index":"   NUL-padded to 32 bytes
  size_t action_open_length_ = 0;
  std::vector<FieldWriter> fields_;
  size_t row_fixed_bytes_ = 0;  // room of a document but for its index name and text values
  DocumentIdHasher hasher_;
  std::string error_;
};

}  // namespace pipec
