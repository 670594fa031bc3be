// A lookup table (CREATE TABLE ... WITH (connector = 'file')) loaded into
// memory for enrichment joins: NDJSON through the columnar decoder, or CSV
// (FORMAT CSV, options csv.delimiter and csv.header). Rows that cannot be
// read (bad JSON, a value of the wrong type, a missing NOT NULL column) are
// skipped and reported as warnings; the join then behaves as if they were
// absent.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "compiler/bind/bound_script.h"
#include "runtime/common/value.h"

namespace pipec {

class LookupTable {
 public:
  // Reads the table's 'path' option (relative to the current directory).
  // Throws RunError when the file cannot be read.
  static LookupTable load(const RelationDef& table);
  // The same from text already in memory (tests); `name` is used in messages.
  static LookupTable from_text(const RelationDef& table, const std::string& name, std::string text);

  const RelationDef& relation() const { return *relation_; }
  size_t size() const { return rows_.size(); }
  const std::vector<Value>& row(size_t i) const { return rows_[i]; }

  // Builds the hash index used by find(); rows with a NULL key are left out.
  void index_on(const std::vector<int>& key_columns);
  // Rows whose key encodes (append_key of each key value, in order) to `key`,
  // in file order; null when none.
  const std::vector<uint32_t>* find(const std::string& key) const;

  uint64_t skipped_rows() const { return skipped_; }
  // The first few reasons rows were skipped, with their line numbers.
  const std::vector<std::string>& problems() const { return problems_; }

 private:
  void skip(uint64_t line, const std::string& why);
  void load_ndjson(const std::string& name, std::string text);
  void load_csv(const std::string& name, const std::string& text);

  const RelationDef* relation_ = nullptr;
  std::vector<std::vector<Value>> rows_;
  std::unordered_map<std::string, std::vector<uint32_t>> index_;
  uint64_t skipped_ = 0;
  std::vector<std::string> problems_;
  std::string name_;
};

}  // namespace pipec
