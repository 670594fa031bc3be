// The pure parts of `pipec run --batch` and `pipec alias`: version names and
// their order, retention, rollback targets, the count and pass-rate checks,
// the document sample and its comparison, the batch options. Calls against
// OpenSearch are in tests/integration/test_batch_bluegreen.py.
#include <doctest/doctest.h>

#include <algorithm>
#include <set>

#include "runtime/exec/batch_load.h"
#include "runtime/sinks/elasticsearch/document_sample.h"
#include "runtime/sinks/elasticsearch/es_config.h"
#include "runtime/sinks/elasticsearch/index_versions.h"

using namespace pipec;
using namespace pipec::es;

namespace {
constexpr int64_t kNov23 = 1763893500123;  // 2025-11-23 10:25:00.123 UTC
}

TEST_CASE("batch: version names are the alias plus the UTC second, suffixed when taken") {
  CHECK(new_version_name("orders", kNov23, {}) == "orders-20251123-102500");
  CHECK(new_version_name("orders", kNov23, {"orders-20251123-102500"}) == "orders-20251123-102500-01");
  CHECK(new_version_name("orders", kNov23, {"orders-20251123-102500", "orders-20251123-102500-01"}) ==
        "orders-20251123-102500-02");
  std::vector<std::string> all = {"orders-20251123-102500"};
  for (int i = 1; i <= 99; ++i) all.push_back(new_version_name("orders", kNov23, all));
  CHECK(all.back() == "orders-20251123-102500-99");
  CHECK_THROWS(new_version_name("orders", kNov23, all));
}

TEST_CASE("batch: versions sort chronologically as strings and exclude look-alikes") {
  std::vector<std::string> names = {"orders-20251124-000000", "orders-20251123-102500-01", "orders-daily-20251123-102500",
                                    "orders-20251123-102500", "orders-20251123-102501",    "orders",
                                    "orders-2025112-102500",  "orders-20251123-102500-1",  "orders-20251123-102500-xx",
                                    "other-20251123-102500"};
  CHECK(versions_of("orders", names) == std::vector<std::string>{"orders-20251123-102500", "orders-20251123-102500-01",
                                                                 "orders-20251123-102501", "orders-20251124-000000"});
  CHECK(versions_of("orders-daily", names) == std::vector<std::string>{"orders-daily-20251123-102500"});
  // A name made later sorts after every earlier one, collisions included.
  std::vector<std::string> made;
  for (int64_t t : {kNov23, kNov23, kNov23 + 1000, kNov23 + 86'400'000}) made.push_back(new_version_name("a", t, made));
  CHECK(std::is_sorted(made.begin(), made.end()));
}

TEST_CASE("batch: retention keeps the live version and the newest before it") {
  std::vector<std::string> v = {"a-20250101-000000", "a-20250102-000000", "a-20250103-000000", "a-20250104-000000"};
  CHECK(versions_to_delete(v, "a-20250104-000000", 2) == std::vector<std::string>{"a-20250101-000000", "a-20250102-000000"});
  CHECK(versions_to_delete(v, "a-20250104-000000", 1).size() == 3);
  CHECK(versions_to_delete(v, "a-20250104-000000", 4).empty());
  CHECK(versions_to_delete(v, "a-20250104-000000", 10).empty());
  // After a rollback to v[1], a new load v[3]: the rolled-back-from v[2] is older than live and counts.
  CHECK(versions_to_delete(v, "a-20250103-000000", 2) == std::vector<std::string>{"a-20250101-000000"});
}

TEST_CASE("batch: rollback goes to the newest version older than the live one") {
  std::vector<std::string> v = {"a-20250101-000000", "a-20250102-000000", "a-20250102-000000-01"};
  CHECK(previous_version(v, "a-20250102-000000-01") == "a-20250102-000000");
  CHECK(previous_version(v, "a-20250102-000000") == "a-20250101-000000");
  CHECK(previous_version(v, "a-20250101-000000").empty());
}

TEST_CASE("batch: the count against the live version ('batch.max-count-change')") {
  ValidationCheck first = check_count_change(500, "", std::nullopt, 0.2);
  CHECK(first.ok);
  CHECK(first.detail.find("no live version") != std::string::npos);
  ValidationCheck grew = check_count_change(1100, "a-20250101-000000", 1000, 0.2);
  CHECK(grew.ok);
  CHECK(grew.name == "previous");
  CHECK(grew.detail == "1,100 documents, 1,000 in the live version a-20250101-000000: +10.00%, at most \u00b120.00%");
  CHECK(check_count_change(1200, "a", 1000, 0.2).ok);   // exactly at the limit
  CHECK_FALSE(check_count_change(1201, "a", 1000, 0.2).ok);
  ValidationCheck halved = check_count_change(500, "a", 1000, 0.2);
  CHECK_FALSE(halved.ok);
  CHECK(halved.detail.find(": -50.00%") != std::string::npos);
  CHECK(check_count_change(0, "a", 0, 0.0).ok);         // empty before and after
  CHECK_FALSE(check_count_change(3, "a", 0, 0.5).ok);   // from nothing to something: +100%
}

TEST_CASE("batch: counts add up or the check says which number is off") {
  LoadCounts c;
  c.events_in = 1000;
  c.filtered = 100;
  c.dropped = 5;
  c.dead_lettered = 20;
  c.sent = 875;
  c.acknowledged = 875;
  c.indexed = 875;
  auto checks = check_counts(c);
  REQUIRE(checks.size() == 3);
  for (const auto& k : checks) CHECK_MESSAGE(k.ok, k.name << ": " << k.detail);
  CHECK(checks[1].detail.find("1,000 events in - 100 filtered - 5 dropped - 20 dead letters = 875") != std::string::npos);

  LoadCounts lost = c;
  lost.acknowledged = 870;
  lost.unacknowledged = 5;
  lost.indexed = 870;
  checks = check_counts(lost);
  CHECK_FALSE(checks[0].ok);  // 5 unanswered
  CHECK_FALSE(checks[1].ok);  // 870 != 875
  CHECK(checks[2].ok);

  LoadCounts overwritten = c;
  overwritten.indexed = 870;
  checks = check_counts(overwritten);
  CHECK_FALSE(checks[2].ok);
  CHECK(checks[2].detail.find("document.id") != std::string::npos);

  LoadCounts rejected = c;
  rejected.rejected = 1;
  CHECK_FALSE(check_counts(rejected)[0].ok);

  CHECK_FALSE(check_counts(LoadCounts{})[1].ok);  // an empty load

  LoadCounts windowed;
  windowed.aggregating = true;
  windowed.events_in = 1000;
  windowed.sent = windowed.acknowledged = windowed.indexed = 12;
  for (const auto& k : check_counts(windowed)) CHECK_MESSAGE(k.ok, k.name << ": " << k.detail);
}

TEST_CASE("batch: pass rates against their minimum") {
  ConstraintRate r{"orders", "iso_currency", 2, 1000, 0.99};
  CHECK(r.rate() == doctest::Approx(0.998));
  CHECK(check_pass_rate(r).ok);
  r.violations = 11;
  ValidationCheck failed = check_pass_rate(r);
  CHECK_FALSE(failed.ok);
  CHECK(failed.detail == "iso_currency (orders): 98.90% pass (11 of 1,000 violate), minimum 99.00%");
  r.violations = 10;
  CHECK(check_pass_rate(r).ok);  // exactly the minimum
  CHECK(check_pass_rate(ConstraintRate{"o", "never_checked", 0, 0, 1.0}).ok);
}

TEST_CASE("batch: pass rates use the rows each constraint evaluated, with per-constraint minimums") {
  // 7 records: a DEAD LETTER constraint removes 2 of them, so the DROP ROW
  // constraint after it evaluates 5 rows, 1 of which violates: 80% pass.
  // Rows an earlier constraint removed are not counted as passing (1 of 7,
  // 85.71%, would pass a 0.85 minimum).
  std::deque<ConstraintStats> stats;
  stats.push_back({"p", "b_positive", "b > 0", ViolationAction::DeadLetter, 2, 7});
  stats.push_back({"p", "b_small", "b < 100", ViolationAction::DropRow, 1, 5});
  EsConfig config;
  config.batch_min_pass_rate = 0.5;
  config.batch_min_pass_rate_by_constraint["b_small"] = 0.85;
  std::vector<ConstraintRate> rates = pass_rates(stats, config);
  REQUIRE(rates.size() == 2);
  CHECK(rates[0].checked == 7);
  CHECK(rates[0].min_rate == 0.5);
  CHECK(check_pass_rate(rates[0]).ok);
  CHECK(rates[1].checked == 5);
  CHECK(rates[1].rate() == doctest::Approx(0.8));
  ValidationCheck small = check_pass_rate(rates[1]);
  CHECK_FALSE(small.ok);
  CHECK(small.detail == "b_small (p): 80.00% pass (1 of 5 violate), minimum 85.00%");
}

TEST_CASE("batch: the sample is uniform over the whole load and keeps what was sent") {
  auto doc = [](int i) {
    return "{\"index\":{\"_index\":\"x\",\"_id\":\"id" + std::to_string(i) + "\"}}\n{\"n\":" + std::to_string(i) + "}\n";
  };
  DocumentSample none(0);
  none.offer(doc(1));
  CHECK(none.documents().empty());

  DocumentSample small(10, 42);
  for (int i = 0; i < 5; ++i) small.offer(doc(i));
  REQUIRE(small.documents().size() == 5);
  CHECK(small.documents()[3].id == "id3");
  CHECK(small.documents()[3].source == "{\"n\":3}");

  // Over many loads, late documents are as likely to be sampled as early ones.
  int late = 0, early = 0;
  for (uint64_t seed = 0; seed < 200; ++seed) {
    DocumentSample s(10, seed);
    for (int i = 0; i < 1000; ++i) s.offer(doc(i));
    CHECK(s.documents().size() == 10);
    CHECK(s.offered() == 1000);
    std::set<std::string> ids;
    for (const auto& d : s.documents()) {
      ids.insert(d.id);
      CHECK(d.source == "{\"n\":" + d.id.substr(2) + "}");
      int n = std::stoi(d.id.substr(2));
      (n < 500 ? early : late)++;
    }
    CHECK(ids.size() == 10);
  }
  CHECK(late > 800);  // expectation 1000 of 2000
  CHECK(early > 800);

  DocumentSample no_id(5);
  no_id.offer("{\"index\":{\"_index\":\"x\"}}\n{\"n\":1}\n");
  CHECK(no_id.documents().empty());
}

TEST_CASE("batch: documents compared field by field") {
  CHECK(first_difference(R"({"a":1,"b":"x","c":{"d":[1,2]}})", R"({"c":{"d":[1,2]},"b":"x","a":1})") == "");
  CHECK(first_difference(R"({"a":1.0})", R"({"a":1})") == "");
  CHECK(first_difference(R"({"a":null})", R"({"a":null})") == "");
  CHECK(first_difference(R"({"a":1,"b":"x"})", R"({"a":1,"b":"y"})") == R"(field 'b': sent "x", indexed "y")");
  CHECK(first_difference(R"({"c":{"d":[1,2]}})", R"({"c":{"d":[1,3]}})") == "field 'c.d[1]': sent 2, indexed 3");
  CHECK(first_difference(R"({"a":1,"b":2})", R"({"a":1})") == "field 'b': sent 2, missing in the index");
  CHECK(first_difference(R"({"a":1})", R"({"a":1,"z":true})") == "field 'z': not sent, indexed true");
  CHECK(first_difference(R"({"a":"1"})", R"({"a":1})") == R"(field 'a': sent "1", indexed 1)");
  CHECK(first_difference(R"({"a":[1]})", R"({"a":[1,1]})") == "field 'a': sent [1], indexed [1,1]");
  CHECK(first_difference("{", "{}") == "the document sent is not valid JSON");
}

TEST_CASE("batch: options parsed with the sink's, bad values named") {
  EsConfig d = parse_es_config({{"hosts", "http://h:9200"}});
  CHECK(d.batch_keep_versions == 2);
  CHECK(d.batch_max_segments == 1);
  CHECK(d.batch_sample_size == 100);
  CHECK(d.batch_min_pass_rate == doctest::Approx(0.99));
  CHECK_FALSE(d.batch_delete_failed);
  CHECK(d.index_refresh_interval.empty());

  EsConfig c = parse_es_config({{"hosts", "http://h:9200"},
                                {"batch.keep-versions", "3"},
                                {"batch.on-failure", "delete"},
                                {"batch.max-segments", "0"},
                                {"batch.sample-size", "7"},
                                {"batch.min-pass-rate", "95%"},
                                {"batch.min-pass-rate.iso_currency", "0.999"},
                                {"index.refresh-interval", "30s"}});
  CHECK(c.batch_keep_versions == 3);
  CHECK(c.batch_delete_failed);
  CHECK(c.batch_max_segments == 0);
  CHECK(c.batch_sample_size == 7);
  CHECK(c.batch_min_pass_rate == doctest::Approx(0.95));
  CHECK(c.batch_min_pass_rate_by_constraint.at("iso_currency") == doctest::Approx(0.999));
  CHECK(c.index_refresh_interval == "30000ms");

  CHECK_THROWS_WITH_AS(parse_es_config({{"hosts", "h"}, {"batch.min-pass-rate", "1.5"}}),
                       doctest::Contains("batch.min-pass-rate"), EsConfigError);
  CHECK_THROWS_AS(parse_es_config({{"hosts", "h"}, {"batch.keep-versions", "0"}}), EsConfigError);
  CHECK_THROWS_AS(parse_es_config({{"hosts", "h"}, {"batch.on-failure", "drop"}}), EsConfigError);
}
