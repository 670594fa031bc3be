#include <doctest/doctest.h>

#include <cmath>
#include <limits>

#include "stdlib/validation.h"
#include "tests/unit/stdlib/stdlib_test_util.h"

using namespace pipec;
using namespace pipec::test;

namespace {
std::string jv(std::string json, std::string path) { return str("json_value", {S(json), S(path)}); }
const char* kDoc = R"({"user": {"name": "Ada", "tags": ["x", "y", {"deep": true}], "age": 36, "score": -1.5e3,
  "nothing": null, "nested": {"a": [1, [2, 3]]}, "quote\"d": "q", "uni": "caf\u00e9 \ud83d\ude00",
  "esc": "line\nbreak", "empty": "", "obj": {}, "arr": []}, "top": 1})";
}  // namespace

TEST_CASE("json_value: member and element access") {
  CHECK(jv(kDoc, "$.user.name") == "Ada");
  CHECK(jv(kDoc, "$.user.age") == "36");
  CHECK(jv(kDoc, "$.user.score") == "-1.5e3");  // number text as written
  CHECK(jv(kDoc, "$.user.tags[0]") == "x");
  CHECK(jv(kDoc, "$.user.tags[1]") == "y");
  CHECK(jv(kDoc, "$.user.tags[2].deep") == "true");
  CHECK(jv(kDoc, "$.user.nested.a[1][0]") == "2");
  CHECK(jv(kDoc, "$.top") == "1");
  CHECK(jv(kDoc, "$['user']['name']") == "Ada");
  CHECK(jv(kDoc, "$[\"user\"].name") == "Ada");
  CHECK(jv(kDoc, "$.user['quote\"d']") == "q");   // keys are compared unescaped
  CHECK(jv(kDoc, "$.user[\"quote\\\"d\"]") == "q");
  CHECK(jv(kDoc, "$.user.uni") == "caf\xC3\xA9 \xF0\x9F\x98\x80");  // unescaped to UTF-8
  CHECK(jv(kDoc, "$.user.esc") == "line\nbreak");
  CHECK(jv(kDoc, "$.user.empty") == "");
}

TEST_CASE("json_value: objects and arrays come back as JSON text") {
  CHECK(jv(kDoc, "$.user.tags") == R"(["x", "y", {"deep": true}])");
  CHECK(jv(kDoc, "$.user.tags[2]") == R"({"deep": true})");
  CHECK(jv(kDoc, "$.user.obj") == "{}");
  CHECK(jv(kDoc, "$.user.arr") == "[]");
  CHECK(jv(R"({"a":[1,2]})", "$") == R"({"a":[1,2]})");
  CHECK(jv(R"(  [1, 2]  )", "$") == "[1, 2]");
}

TEST_CASE("json_value: root scalars") {
  CHECK(jv("42", "$") == "42");
  CHECK(jv("\"hi\"", "$") == "hi");
  CHECK(jv("true", "$") == "true");
  CHECK(jv("null", "$") == "<NULL>");
  CHECK(jv("42", "$.a") == "<NULL>");
  CHECK(jv(" -0.5 ", "$") == "-0.5");
}

TEST_CASE("json_value: missing, null, mismatched and invalid give NULL") {
  CHECK(jv(kDoc, "$.user.nothing") == "<NULL>");     // JSON null
  CHECK(jv(kDoc, "$.user.missing") == "<NULL>");
  CHECK(jv(kDoc, "$.user.tags[3]") == "<NULL>");     // out of range
  CHECK(jv(kDoc, "$.user.tags[99999999999]") == "<NULL>");
  CHECK(jv(kDoc, "$.user.name.first") == "<NULL>");  // member of a string
  CHECK(jv(kDoc, "$.user[0]") == "<NULL>");          // index into an object
  CHECK(jv(kDoc, "$.user.tags.x") == "<NULL>");      // member of an array
  CHECK(jv("", "$") == "<NULL>");
  CHECK(jv("   ", "$.a") == "<NULL>");
  CHECK(jv("not json", "$.a") == "<NULL>");
  CHECK(jv("{\"a\": ", "$.a") == "<NULL>");
  CHECK(jv("{\"a\": 1", "$") == "<NULL>");
  CHECK(jv("{\"a\": 01}", "$.a") == "<NULL>");        // invalid number
  CHECK(jv("{\"a\": 1.}", "$.a") == "<NULL>");
  CHECK(jv("{\"a\": tru}", "$.a") == "<NULL>");
  CHECK(jv("{\"a\": \"x\xFF\"}", "$.a") == "<NULL>");  // invalid UTF-8
  CHECK(jv("{} {}", "$") == "<NULL>");               // trailing content after the root
  CHECK(jv("1 2", "$") == "<NULL>");
  CHECK(jv(std::string("{\"a\":1}\0", 8), "$.a") == "<NULL>");
  CHECK(jv(R"({"a":1,"a":2})", "$.a") == "1");       // first duplicate wins
  CHECK(jv("{\"a\": 1, \"b\": [}", "$.a") == "<NULL>");  // broken after the selected value
  CHECK(jv("{\"a\": 1, \"b\": 2", "$.a") == "<NULL>");   // truncated
  CHECK(jv("{\"a\": 1} x", "$.a") == "<NULL>");            // trailing garbage
  CHECK(jv("\"hi\" x", "$") == "<NULL>");
  CHECK(jv("\"hi\"  ", "$") == "hi");
  // Deep nesting is handled iteratively, not on the stack.
  std::string deep(5000, '[');
  deep += std::string(5000, ']');
  CHECK(jv(deep, "$[0][0]").size() == 2 * 4998);
  std::string ok_deep(100, '[');
  ok_deep += "7" + std::string(100, ']');
  std::string path = "$";
  for (int i = 0; i < 100; ++i) path += "[0]";
  CHECK(jv(ok_deep, path) == "7");
  CHECK(str("json_value", {N(TypeId::String), S("$")}) == "<NULL>");
  CHECK(str("json_value", {S("{}"), N(TypeId::String)}) == "<NULL>");
}

TEST_CASE("json_value: invalid paths") {
  for (const char* bad : {"", "a.b", "$.", "$..a", "$[", "$[a]", "$[*]", "$.a[", "$['a", "$[-1]", "$[0", "$ .a",
                          "$[99999999999999999999999]"}) {
    CHECK_MESSAGE(jv(kDoc, bad) == "<NULL>", bad);
    CHECK_MESSAGE(!stdlib_validate_json_path(bad, nullptr), bad);
  }
  std::string err;
  CHECK(stdlib_validate_json_path("$.a['b c'][3]", &err));
  CHECK(stdlib_validate_json_path("$", &err));
  CHECK_FALSE(stdlib_validate_json_path("a.b", &err));
  CHECK(err.find("'$'") != std::string::npos);
  CHECK_FALSE(stdlib_validate_json_path("$[*]", &err));
  CHECK(err.find("wildcard") != std::string::npos);
}

TEST_CASE("json_value on ROW and ARRAY values (carried as JSON text)") {
  Value row = Value::string(R"({"id": 7, "name": "x"})", TypeId::Row);
  Value arr = Value::string(R"([10, 20])", TypeId::Array);
  CHECK(call("json_value", {row, S("$.id")}).s == "7");
  CHECK(call("json_value", {arr, S("$[1]")}).s == "20");
  CHECK(call("json_value", {Value::null(TypeId::Row), S("$")}).is_null);
}

TEST_CASE("to_json") {
  CHECK(str("to_json", {S("a\"b\\c\n")}) == R"("a\"b\\c\n")");
  CHECK(str("to_json", {S("")}) == R"("")");
  CHECK(str("to_json", {S("caf\xC3\xA9")}) == "\"caf\xC3\xA9\"");
  CHECK(str("to_json", {S("bad\xFF")}) == "\"bad\xEF\xBF\xBD\"");  // invalid UTF-8 -> U+FFFD
  CHECK(str("to_json", {S(std::string("\x01", 1))}) == R"("\u0001")");
  CHECK(str("to_json", {I(-42)}) == "-42");
  CHECK(str("to_json", {I(INT64_MIN)}) == "-9223372036854775808");
  CHECK(str("to_json", {D(1.5)}) == "1.5");
  CHECK(str("to_json", {D(2)}) == "2.0");
  CHECK(str("to_json", {D(1e300)}) == "1e+300");
  CHECK(str("to_json", {D(0.1)}) == "0.1");
  CHECK(str("to_json", {D(std::numeric_limits<double>::quiet_NaN())}) == "null");
  CHECK(str("to_json", {D(-std::numeric_limits<double>::infinity())}) == "null");
  CHECK(str("to_json", {B(true)}) == "true");
  CHECK(str("to_json", {B(false)}) == "false");
  CHECK(str("to_json", {TS(1715940672345)}) == R"("2024-05-17T10:11:12.345Z")");
  CHECK(str("to_json", {TS(-1)}) == R"("1969-12-31T23:59:59.999Z")");
  CHECK(str("to_json", {Value::string(R"({"a":1})", TypeId::Row)}) == R"({"a":1})");
  CHECK(str("to_json", {Value::string("[1]", TypeId::Array)}) == "[1]");
  CHECK(str("to_json", {N(TypeId::BigInt)}) == "<NULL>");
  // to_json output is readable by json_value.
  CHECK(jv(str("to_json", {S("x\"y")}), "$") == "x\"y");
}
