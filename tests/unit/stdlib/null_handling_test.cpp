#include <doctest/doctest.h>

#include "tests/unit/stdlib/stdlib_test_util.h"

using namespace pipec;
using namespace pipec::test;

TEST_CASE("coalesce") {
  CHECK(eval("coalesce", {N(TypeId::BigInt), I(2), I(3)}) == "2");
  CHECK(eval("coalesce", {S("a"), S("b")}) == "'a'");
  CHECK(eval("coalesce", {N(TypeId::String), N(TypeId::String)}) == "NULL");
  CHECK(eval("coalesce", {N(TypeId::Double), D(1.5)}) == "1.5");
  CHECK(eval("coalesce", {N(TypeId::Boolean), B(false)}) == "FALSE");
  CHECK(call("coalesce", {N(TypeId::Timestamp), TS(5)}).type == TypeId::Timestamp);
  CHECK(call("coalesce", {N(TypeId::Interval), IV(5)}).i == 5);
}

TEST_CASE("ifnull") {
  CHECK(eval("ifnull", {N(TypeId::BigInt), I(7)}) == "7");
  CHECK(eval("ifnull", {I(1), I(7)}) == "1");
  CHECK(eval("ifnull", {S(""), S("x")}) == "''");  // '' is not NULL
  CHECK(eval("ifnull", {N(TypeId::String), N(TypeId::String)}) == "NULL");
  CHECK(eval("ifnull", {N(TypeId::Double), D(2.5)}) == "2.5");
  CHECK(call("ifnull", {N(TypeId::Timestamp), TS(9)}).type == TypeId::Timestamp);
}

TEST_CASE("nullif") {
  CHECK(eval("nullif", {I(1), I(1)}) == "NULL");
  CHECK(eval("nullif", {I(1), I(2)}) == "1");
  CHECK(eval("nullif", {S("a"), S("a")}) == "NULL");
  CHECK(eval("nullif", {S("a"), N(TypeId::String)}) == "'a'");
  CHECK(eval("nullif", {N(TypeId::String), S("a")}) == "NULL");
  CHECK(eval("nullif", {B(true), B(false)}) == "TRUE");
}
