#include "runtime/sources/lookup_table.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>

#include "compiler/plan/expression_evaluator.h"
#include "runtime/decode/ndjson_decoder.h"
#include "runtime/exec/run_error.h"
#include "runtime/interpret/value_io.h"
#include "runtime/sources/csv_reader.h"

namespace pipec {

namespace {

constexpr size_t kMaxProblems = 5;

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

std::string read_file(const std::string& path, const std::string& table) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw RunError::io("table '" + table + "': cannot read '" + path + "'");
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) throw RunError::io("table '" + table + "': error reading '" + path + "'");
  return ss.str();
}

}  // namespace

LookupTable LookupTable::load(const RelationDef& table) {
  std::string path = table.options.get("path");
  return from_text(table, path, read_file(path, table.name));
}

LookupTable LookupTable::from_text(const RelationDef& table, const std::string& name, std::string text) {
  LookupTable t;
  t.relation_ = &table;
  t.name_ = name;
  if (table.format == "csv") {
    t.load_csv(name, text);
  } else {
    t.load_ndjson(name, std::move(text));
  }
  return t;
}

void LookupTable::skip(uint64_t line, const std::string& why) {
  ++skipped_;
  if (problems_.size() < kMaxProblems) problems_.push_back(name_ + ":" + std::to_string(line) + ": " + why);
}

void LookupTable::load_ndjson(const std::string& name, std::string text) {
  const auto& cols = relation_->columns;
  DecodeSpec spec;
  for (const auto& c : cols) {
    DecodeField f;
    f.path = {c.name};
    f.type = c.type;
    f.not_null = c.not_null && !c.metadata_key;
    f.raw_json = c.type->is_nested();
    f.external = c.metadata_key.has_value();
    spec.columns.push_back(std::move(f));
  }
  NdjsonDecoder decoder(spec);
  auto chunk = InputChunk::copy_of(text);
  Batch batch = decoder.make_batch();
  DecodeErrors errors;
  DecodeCursor cursor;
  bool done = false;
  while (!done) {
    batch.reset();
    errors.clear();
    done = decoder.decode(chunk, batch, errors, cursor);
    for (const auto& e : errors.errors) skip(e.pos.line_or_offset, e.reason);
    for (uint32_t i = 0; i < batch.size; ++i) {
      std::vector<Value> row;
      row.reserve(cols.size());
      for (size_t c = 0; c < cols.size(); ++c) {
        if (cols[c].metadata_key == "file") {
          row.push_back(Value::string(name));
        } else if (cols[c].metadata_key == "line") {
          row.push_back(Value::bigint(static_cast<int64_t>(batch.positions[i].line_or_offset)));
        } else {
          row.push_back(read_value(batch.columns[c], *cols[c].type, i));
        }
      }
      rows_.push_back(std::move(row));
    }
  }
}

void LookupTable::load_csv(const std::string& name, const std::string& text) {
  const auto& cols = relation_->columns;
  std::string delimiter = relation_->options.get("csv.delimiter", ",");
  if (delimiter == "\\t" || delimiter == "tab") delimiter = "\t";
  if (delimiter.size() != 1)
    throw RunError::failed("table '" + relation_->name + "': csv.delimiter must be one character, got '" +
                           delimiter + "'");
  bool header = relation_->options.get("csv.header", "true") != "false";
  CsvReader reader(text, delimiter[0]);
  std::string error;

  // Which CSV field feeds each table column (-1: none -> NULL).
  std::vector<int> field_of(cols.size(), -1);
  if (header) {
    auto names = reader.next(&error);
    if (!names) return;  // empty file: an empty table
    for (size_t c = 0; c < cols.size(); ++c) {
      for (size_t f = 0; f < names->size(); ++f)
        if (iequals((*names)[f].text, cols[c].name)) field_of[c] = static_cast<int>(f);
      if (field_of[c] < 0 && !cols[c].metadata_key && cols[c].not_null)
        throw RunError::failed("table '" + relation_->name + "': the CSV header of '" + name +
                               "' has no column '" + cols[c].name + "', which is NOT NULL");
    }
  } else {
    int f = 0;
    for (size_t c = 0; c < cols.size(); ++c)
      if (!cols[c].metadata_key) field_of[c] = f++;
  }

  while (auto fields = reader.next(&error)) {
    uint64_t line = reader.line();
    if (!error.empty()) {
      skip(line, error);
      continue;
    }
    std::vector<Value> row;
    bool ok = true;
    for (size_t c = 0; c < cols.size() && ok; ++c) {
      const ColumnInfo& col = cols[c];
      if (col.metadata_key == "file") {
        row.push_back(Value::string(name));
        continue;
      }
      if (col.metadata_key == "line") {
        row.push_back(Value::bigint(static_cast<int64_t>(line)));
        continue;
      }
      int f = field_of[c];
      if (f < 0 || static_cast<size_t>(f) >= fields->size() || (*fields)[f].is_null()) {
        if (col.not_null) {
          skip(line, "column '" + col.name + "' is NOT NULL but missing");
          ok = false;
        }
        row.push_back(Value::null(col.type->id));
        continue;
      }
      const std::string& text_value = (*fields)[f].text;
      if (col.type->id == TypeId::String || col.type->is_nested()) {
        row.push_back(Value::string(text_value, col.type->id));
        continue;
      }
      Value v = cast_value(Value::string(text_value), *col.type);
      if (v.is_null) {
        skip(line, "column '" + col.name + "': cannot read '" + text_value + "' as " + col.type->to_string());
        ok = false;
      }
      row.push_back(std::move(v));
    }
    if (ok) rows_.push_back(std::move(row));
  }
}

void LookupTable::index_on(const std::vector<int>& key_columns) {
  index_.clear();
  std::string key;
  for (uint32_t r = 0; r < rows_.size(); ++r) {
    key.clear();
    bool has_null = false;
    for (int c : key_columns) {
      const Value& v = rows_[r][c];
      has_null |= v.is_null;
      append_key(key, v);
    }
    if (!has_null) index_[key].push_back(r);
  }
}

const std::vector<uint32_t>* LookupTable::find(const std::string& key) const {
  auto it = index_.find(key);
  return it == index_.end() ? nullptr : &it->second;
}

}  // namespace pipec
