// What the NDJSON decoder extracts from each record: one output column per
// entry, addressed by its JSON key path. Only these paths are decoded; all
// other fields are skipped (and, by default, validated). The plan's
// DecodeColumn maps onto DecodeField one to one, metadata columns becoming
// `external` fields.
#pragma once

#include <string>
#include <vector>

#include "runtime/common/types.h"

namespace pipec {

struct DecodeField {
  // JSON key path from the top-level object: {"device", "os"} reads
  // record.device.os. Keys match exactly (case-sensitive, after unescaping).
  std::vector<std::string> path;
  TypePtr type;
  // A NULL (JSON null or missing field) dead-letters the row.
  bool not_null = false;
  // Keep the value's JSON text verbatim (validated). Required for ROW and
  // ARRAY columns; on a STRING column it accepts any JSON value as text.
  bool raw_json = false;
  // Not read from the record: the source fills the column after decoding
  // (connector metadata such as a Kafka key or offset). The decoder leaves it
  // NULL and ignores path, not_null and raw_json.
  bool external = false;
};

struct DecodeSpec {
  std::vector<DecodeField> columns;

  // The physical layout of the batch the decoder fills: column i of the batch
  // is columns[i].
  std::vector<PhysicalType> column_types() const;

  // Empty when the spec can be decoded, else what is wrong. Rules: every path
  // is non-empty and distinct; types are BOOLEAN, BIGINT, DOUBLE, STRING,
  // TIMESTAMP, INTERVAL (integer millis), or raw_json ROW/ARRAY/STRING; a path
  // that is a proper prefix of another may only carry a ROW or STRING raw_json
  // column (the object is then both captured and descended into).
  std::string validate() const;
};

// "device.os" — the name used for a column in error reasons.
std::string path_display_name(const std::vector<std::string>& path);

}  // namespace pipec
