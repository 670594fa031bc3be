// What the NDJSON decoder extracts from each record: one output column per
// entry, addressed by its JSON key path. Only these paths are decoded; all
// other fields are skipped (and, by default, validated).
#pragma once

#include <string>
#include <vector>

#include "runtime/common/types.h"

namespace pipec {

struct DecodeColumn {
  // JSON key path from the top-level object: {"device", "os"} reads
  // record.device.os. Keys match exactly (case-sensitive, after unescaping).
  std::vector<std::string> path;
  TypePtr type;
  // A NULL (JSON null or missing field) dead-letters the row.
  bool not_null = false;
  // Keep the value's JSON text verbatim (validated). Required for ROW and
  // ARRAY columns; on a STRING column it accepts any JSON value as text.
  bool raw_json = false;
};

struct DecodeSpec {
  std::vector<DecodeColumn> columns;

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
