// File source framing (chunk boundaries, oversize lines that never fit in a
// chunk, CRLF, a last line without newline, globs, metadata), the CSV reader
// and lookup tables.
#include <doctest/doctest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "runtime/exec/run_error.h"
#include "runtime/sources/csv_reader.h"
#include "runtime/sources/file_source.h"
#include "runtime/sources/lookup_table.h"
#include "runtime/sources/parallel_file_source.h"
#include "tests/unit/runtime/runtime_test_util.h"

using namespace pipec;
using namespace pipec::testing;

namespace {

struct TempDir {
  std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("pipec-src-" + std::to_string(::getpid()) + "-" + std::to_string(rand()));
  TempDir() { std::filesystem::create_directories(dir); }
  ~TempDir() { std::filesystem::remove_all(dir); }
  std::string write(const std::string& name, const std::string& text) const {
    std::ofstream(dir / name, std::ios::binary) << text;
    return (dir / name).string();
  }
};

struct Read {
  std::vector<std::string> ids;    // 'id' of every row
  std::vector<uint64_t> lines;     // line of every row
  std::vector<int64_t> meta_lines; // 'line' metadata column
  std::vector<DecodeError> errors;
  uint64_t records = 0;
  uint64_t bytes = 0;
};

// `decode_threads` > 0: through a ParallelFileSource, which must change nothing.
Read read_all(const std::string& path, size_t chunk_bytes, size_t max_record_bytes, uint32_t batch_capacity = 64,
              int decode_threads = 0) {
  Compiled c(
      "CREATE SOURCE ev (id STRING, line BIGINT METADATA FROM 'line', f STRING METADATA FROM 'file')"
      " WITH (connector = 'file', path = 'x');\n"
      "CREATE SINK out WITH (connector = 'stdout');\n"
      "CREATE PIPELINE p AS INSERT INTO out SELECT id, line, f FROM ev;");
  const auto& plan = c.find<LogicalSource>(LogicalOperatorType::Source);
  auto file = std::make_unique<FileSource>(plan, FileSourceOptions{"ev", path, max_record_bytes, chunk_bytes});
  std::unique_ptr<Source> src = std::move(file);
  if (decode_threads > 0)
    src = std::make_unique<ParallelFileSource>(std::unique_ptr<FileSource>(static_cast<FileSource*>(src.release())),
                                               physical_types(plan.schema), batch_capacity, decode_threads);
  src->open();
  Read r;
  Batch batch(physical_types(plan.schema), batch_capacity);
  DecodeErrors errors;
  bool more = true;
  while (more) {
    batch.reset();
    errors.clear();
    more = src->next(batch, errors);
    for (uint32_t i = 0; i < batch.size; ++i) {
      r.ids.push_back(read_value(batch.columns[0], *plan.schema[0].type, i).to_sql());
      r.lines.push_back(batch.positions[i].line_or_offset);
      r.meta_lines.push_back(batch.columns[1].data<int64_t>()[i]);
      CHECK(batch.columns[2].data<StringRef>()[i].view() == path);
    }
    for (auto& e : errors.errors) r.errors.push_back(e);
  }
  r.records = src->records_read();
  r.bytes = src->bytes_read();
  return r;
}

}  // namespace

TEST_CASE("file source: records across chunk boundaries keep their bytes and line numbers") {
  TempDir tmp;
  std::string text;
  for (int i = 1; i <= 200; ++i) text += "{\"id\":\"r" + std::to_string(i) + "\"}\n";
  text += "\n   \r\n{\"id\":\"crlf\"}\r\n{\"id\":\"last\"}";  // blank lines, CRLF, no final newline
  std::string path = tmp.write("in.ndjson", text);
  for (size_t chunk : {size_t{7}, size_t{16}, size_t{1000}, size_t{1} << 20})
  for (int threads : {0, 1, 3}) {
    CAPTURE(chunk);
    CAPTURE(threads);
    Read r = read_all(path, chunk, 1000, 64, threads);
    REQUIRE(r.ids.size() == 202);
    CHECK(r.ids[0] == "'r1'");
    CHECK(r.ids[199] == "'r200'");
    CHECK(r.ids[200] == "'crlf'");
    CHECK(r.ids[201] == "'last'");
    CHECK(r.lines[199] == 200);
    CHECK(r.lines[200] == 203);
    CHECK(r.lines[201] == 204);
    CHECK(r.meta_lines == std::vector<int64_t>(r.lines.begin(), r.lines.end()));
    CHECK(r.errors.empty());
    CHECK(r.records == 202);
    CHECK(r.bytes == text.size());
  }
}

TEST_CASE("file source: a line longer than max-record-bytes is skipped without holding it, and reported") {
  TempDir tmp;
  std::string huge = "{\"id\":\"" + std::string(5000, 'x') + "\"}";
  std::string text = "{\"id\":\"a\"}\n" + huge + "\n{\"id\":\"b\"}\n" + huge;  // the last one at end of file
  std::string path = tmp.write("in.ndjson", text);
  for (size_t chunk : {size_t{8}, size_t{64}, size_t{100000}})
  for (int threads : {0, 1, 3}) {
    CAPTURE(chunk);
    CAPTURE(threads);
    Read r = read_all(path, chunk, 100, 64, threads);
    CHECK(r.ids == std::vector<std::string>{"'a'", "'b'"});
    CHECK(r.lines == std::vector<uint64_t>{1, 3});
    REQUIRE(r.errors.size() == 2);
    for (size_t k = 0; k < 2; ++k) {
      const DecodeError& e = r.errors[k];
      CHECK(e.kind == DecodeErrorKind::RecordTooLarge);
      CHECK(e.pos.line_or_offset == (k == 0 ? 2u : 4u));
      CHECK(e.reason.rfind("record of " + std::to_string(huge.size()) + " bytes exceeds the maximum record size of 100 bytes", 0) == 0);
      CHECK(e.raw.size() <= huge.size());
      CHECK(e.raw == huge.substr(0, e.raw.size()));
    }
    CHECK(r.records == 4);
  }
}

TEST_CASE("file source: globs match in sorted order; a missing file or an empty glob is an I/O error") {
  TempDir tmp;
  tmp.write("b-2.ndjson", "{\"id\":\"2\"}\n");
  tmp.write("b-1.ndjson", "{\"id\":\"1\"}\n");
  tmp.write("c.ndjson", "{\"id\":\"no\"}\n");
  Compiled c(
      "CREATE SOURCE ev (id STRING) WITH (connector = 'file', path = 'x');\n"
      "CREATE SINK out WITH (connector = 'stdout');\n"
      "CREATE PIPELINE p AS INSERT INTO out SELECT id FROM ev;");
  const auto& plan = c.find<LogicalSource>(LogicalOperatorType::Source);
  FileSource src(plan, FileSourceOptions{"ev", (tmp.dir / "b-*.ndjson").string()});
  src.open();
  REQUIRE(src.files().size() == 2);
  CHECK(src.files()[0].ends_with("b-1.ndjson"));
  CHECK(src.bytes_total() == 22);
  FileSource none(plan, FileSourceOptions{"ev", (tmp.dir / "zzz-*.ndjson").string()});
  CHECK_THROWS_AS(none.open(), RunError);
  FileSource missing(plan, FileSourceOptions{"ev", (tmp.dir / "missing.ndjson").string()});
  CHECK_THROWS_WITH_AS(missing.open(), doctest::Contains("missing.ndjson"), RunError);
}

TEST_CASE("parallel decode: a read error on a worker surfaces after the same rows as without it") {
  TempDir tmp;
  std::string first;
  for (int i = 0; i < 3000; ++i) first += "{\"id\":\"a" + std::to_string(i) + "\"}\n";
  tmp.write("p-1.ndjson", first);
  Compiled c(
      "CREATE SOURCE ev (id STRING) WITH (connector = 'file', path = 'x');\n"
      "CREATE SINK out WITH (connector = 'stdout');\n"
      "CREATE PIPELINE p AS INSERT INTO out SELECT id FROM ev;");
  const auto& plan = c.find<LogicalSource>(LogicalOperatorType::Source);
  struct Outcome {
    std::vector<std::string> ids;
    std::string failure;
    uint64_t records = 0;
  };
  auto read = [&](int threads) {
    std::string doomed = tmp.write("p-2.ndjson", "{\"id\":\"b\"}\n");
    auto file = std::make_unique<FileSource>(plan, FileSourceOptions{"ev", (tmp.dir / "p-*.ndjson").string(), 1000, 512});
    std::unique_ptr<Source> src;
    if (threads > 0) src = std::make_unique<ParallelFileSource>(std::move(file), physical_types(plan.schema), 64, threads);
    else src = std::move(file);
    src->open();
    std::filesystem::remove(doomed);  // gone between open() and the read
    Batch batch(physical_types(plan.schema), 64);
    DecodeErrors errors;
    Outcome out;
    try {
      while (true) {
        batch.reset();
        errors.clear();
        bool more = src->next(batch, errors);
        for (uint32_t i = 0; i < batch.size; ++i)
          out.ids.push_back(read_value(batch.columns[0], *plan.schema[0].type, i).to_sql());
        if (!more) break;
      }
    } catch (const RunError& e) {
      out.failure = e.what();
    }
    out.records = src->records_read();
    if (threads > 0) CHECK_FALSE(src->next(batch, errors));  // ended: no more batches, no hang
    return out;
  };
  Outcome plain = read(0);
  CHECK(plain.failure.find("p-2.ndjson") != std::string::npos);
  REQUIRE(plain.ids.size() > 2000);  // the full batches before the failing read
  for (int threads : {1, 2, 4}) {
    CAPTURE(threads);
    Outcome parallel = read(threads);
    CHECK(parallel.failure == plain.failure);
    // Batches end at chunk ends here, so the rows of the chunk the failing read
    // interrupted come out too: every row of the first file, in order.
    REQUIRE(parallel.ids.size() == 3000);
    for (size_t i = 0; i < parallel.ids.size(); ++i) REQUIRE(parallel.ids[i] == "'a" + std::to_string(i) + "'");
    CHECK(parallel.records == 3000);
  }
}

TEST_CASE("parallel decode: destroyed while workers are ahead, without reading to the end") {
  TempDir tmp;
  std::string text;
  for (int i = 0; i < 5000; ++i) text += "{\"id\":\"x" + std::to_string(i) + "\"}\n";
  std::string path = tmp.write("big.ndjson", text);
  Compiled c(
      "CREATE SOURCE ev (id STRING) WITH (connector = 'file', path = 'x');\n"
      "CREATE SINK out WITH (connector = 'stdout');\n"
      "CREATE PIPELINE p AS INSERT INTO out SELECT id FROM ev;");
  const auto& plan = c.find<LogicalSource>(LogicalOperatorType::Source);
  auto src = std::make_unique<ParallelFileSource>(std::make_unique<FileSource>(plan, FileSourceOptions{"ev", path, 1000, 256}),
                                                  physical_types(plan.schema), 16, 2);
  src->open();
  Batch batch(physical_types(plan.schema), 16);
  DecodeErrors errors;
  REQUIRE(src->next(batch, errors));
  CHECK(batch.size == 16);
  CHECK(read_value(batch.columns[0], *plan.schema[0].type, 15).to_sql() == "'x15'");
  src.reset();  // a FAIL PIPELINE or a signal stops the run here: the workers must end
}

TEST_CASE("csv reader: quotes, escaped quotes, delimiters and newlines inside quotes, CRLF, NULL vs empty") {
  CsvReader r("a,\"b,c\",\"say \"\"hi\"\"\"\r\n,\"\",x\n\n\"multi\nline\",2\n", ',');
  std::string err;
  auto rec = r.next(&err);
  REQUIRE(rec);
  REQUIRE(rec->size() == 3);
  CHECK((*rec)[0].text == "a");
  CHECK((*rec)[1].text == "b,c");
  CHECK((*rec)[2].text == "say \"hi\"");
  rec = r.next(&err);
  REQUIRE(rec);
  CHECK((*rec)[0].is_null());
  CHECK_FALSE((*rec)[1].is_null());
  CHECK((*rec)[1].text.empty());
  CHECK((*rec)[2].text == "x");
  rec = r.next(&err);
  REQUIRE(rec);
  CHECK(r.line() == 4);
  CHECK((*rec)[0].text == "multi\nline");
  CHECK_FALSE(r.next(&err));

  CsvReader bad("a\"b,c\nok,1\n\"open", ',');
  rec = bad.next(&err);
  REQUIRE(rec);
  CHECK(rec->empty());
  CHECK(err == "quote inside an unquoted field");
  rec = bad.next(&err);
  REQUIRE(rec);
  CHECK(err.empty());
  CHECK(rec->size() == 2);
  rec = bad.next(&err);
  REQUIRE(rec);
  CHECK(err == "unterminated quoted field");
}

TEST_CASE("lookup table from CSV: header by name, typed conversion, bad rows skipped with reasons") {
  Compiled c(
      "CREATE TABLE t (id BIGINT NOT NULL, name STRING, since TIMESTAMP, vip BOOLEAN)"
      " WITH (connector = 'file', path = 'x') FORMAT CSV;\n"
      "CREATE SOURCE ev (id BIGINT) WITH (connector = 'file', path = 'y');\n"
      "CREATE SINK out WITH (connector = 'stdout');\n"
      "CREATE PIPELINE p AS INSERT INTO out SELECT e.id, t.name FROM ev e JOIN t ON t.id = e.id;");
  const RelationDef* def = c.bound.find_relation("t");
  REQUIRE(def);
  LookupTable t = LookupTable::from_text(
      *def, "t.csv",
      "vip,name,id,since\ntrue,Ada,1,2024-01-01\nno,,2,\n,Bad,x,\n,Missing id,,\n");
  REQUIRE(t.size() == 2);
  CHECK(t.row(0)[0].to_sql() == "1");
  CHECK(t.row(0)[1].to_sql() == "'Ada'");
  CHECK(t.row(0)[3].to_sql() == "TRUE");
  CHECK(t.row(1)[1].is_null);
  CHECK(t.row(1)[2].is_null);
  CHECK(t.row(1)[3].to_sql() == "FALSE");
  CHECK(t.skipped_rows() == 2);
  REQUIRE(t.problems().size() == 2);
  CHECK(t.problems()[0] == "t.csv:4: column 'id': cannot read 'x' as BIGINT");
  CHECK(t.problems()[1] == "t.csv:5: column 'id' is NOT NULL but missing");
  t.index_on({0});
  std::string key;
  append_key(key, Value::bigint(2));
  REQUIRE(t.find(key));
  CHECK(t.find(key)->front() == 1);

  CHECK_THROWS_WITH_AS(LookupTable::from_text(*def, "t.csv", "name\nAda\n"), doctest::Contains("has no column 'id'"),
                       RunError);
}
