#include <doctest/doctest.h>

#include <cmath>
#include <limits>

#include "tests/unit/stdlib/stdlib_test_util.h"

using namespace pipec;
using namespace pipec::test;

namespace {
const double kNaN = std::numeric_limits<double>::quiet_NaN();
const double kInf = std::numeric_limits<double>::infinity();
const std::string kNaNSql = "CAST('NaN' AS DOUBLE)";
}  // namespace

TEST_CASE("abs") {
  CHECK(eval("abs", {I(-5)}) == "5");
  CHECK(eval("abs", {I(5)}) == "5");
  CHECK(eval("abs", {I(0)}) == "0");
  CHECK(eval("abs", {I(INT64_MIN)}) == "NULL");  // overflow
  CHECK(eval("abs", {I(INT64_MIN + 1)}) == "9223372036854775807");
  CHECK(eval("abs", {D(-2.5)}) == "2.5");
  CHECK(eval("abs", {D(-0.0)}) == "0.0");
  CHECK(eval("abs", {D(-kInf)}) == "CAST('Infinity' AS DOUBLE)");
  CHECK(eval("abs", {D(kNaN)}) == kNaNSql);
  CHECK(eval("abs", {N(TypeId::BigInt)}) == "NULL");
  CHECK(call("abs", {I(-1)}).type == TypeId::BigInt);
  CHECK(call("abs", {D(-1)}).type == TypeId::Double);
}

TEST_CASE("round on DOUBLE: half away from zero, on the decimal digits") {
  CHECK(eval("round", {D(2.5)}) == "3.0");
  CHECK(eval("round", {D(-2.5)}) == "-3.0");
  CHECK(eval("round", {D(0.5)}) == "1.0");
  CHECK(eval("round", {D(0.49999999999999994)}) == "0.0");
  CHECK(eval("round", {D(-0.4)}) == "0.0");  // never -0.0
  CHECK(eval("round", {D(1.25), I(1)}) == "1.3");
  CHECK(eval("round", {D(-1.25), I(1)}) == "-1.3");
  CHECK(eval("round", {D(2.675), I(2)}) == "2.68");  // the double is 2.67499999..., the text is 2.675
  CHECK(eval("round", {D(1.005), I(2)}) == "1.01");
  CHECK(eval("round", {D(3.14159), I(3)}) == "3.142");
  CHECK(eval("round", {D(3.14159), I(0)}) == "3.0");
  CHECK(eval("round", {D(9.99), I(1)}) == "10.0");
  CHECK(eval("round", {D(0.0999), I(2)}) == "0.1");
  CHECK(eval("round", {D(1234.5), I(-2)}) == "1200.0");
  CHECK(eval("round", {D(1250), I(-2)}) == "1300.0");
  CHECK(eval("round", {D(-1250), I(-2)}) == "-1300.0");
  CHECK(eval("round", {D(0.004), I(2)}) == "0.0");
  CHECK(eval("round", {D(-0.004), I(2)}) == "0.0");
  CHECK(eval("round", {D(0.005), I(2)}) == "0.01");
  CHECK(eval("round", {D(0.6), I(0)}) == "1.0");
  CHECK(eval("round", {D(123.0), I(-5)}) == "0.0");
  CHECK(eval("round", {D(51234.0), I(-5)}) == "100000.0");
  CHECK(eval("round", {D(1e-300), I(400)}) == "1e-300");
  CHECK(eval("round", {D(5e-324), I(323)}) == "1e-323");  // 0.5e-323 rounds up
  CHECK(eval("round", {D(4e-324), I(323)}) == "1e-323");  // 4e-324 is the same double as 5e-324
  CHECK(eval("round", {D(5e-324), I(324)}) == "5e-324");
  CHECK(eval("round", {D(5e-324), I(322)}) == "0.0");
  CHECK(eval("round", {D(1.5), I(INT64_MAX)}) == "1.5");
  CHECK(eval("round", {D(1.5), I(INT64_MIN)}) == "0.0");
  CHECK(eval("round", {D(1.7e308), I(-308)}) == "NULL");  // 2e308 overflows
  CHECK(eval("round", {D(1.7976931348623157e308), I(0)}) == "1.7976931348623157e+308");
  CHECK(eval("round", {D(kNaN), I(2)}) == kNaNSql);
  CHECK(eval("round", {D(kInf)}) == "CAST('Infinity' AS DOUBLE)");
  CHECK(eval("round", {D(1.5), N(TypeId::BigInt)}) == "NULL");
}

TEST_CASE("round on BIGINT") {
  CHECK(eval("round", {I(17)}) == "17");
  CHECK(eval("round", {I(17), I(2)}) == "17");
  CHECK(eval("round", {I(15), I(-1)}) == "20");
  CHECK(eval("round", {I(-15), I(-1)}) == "-20");
  CHECK(eval("round", {I(14), I(-1)}) == "10");
  CHECK(eval("round", {I(-14), I(-1)}) == "-10");
  CHECK(eval("round", {I(1234567), I(-3)}) == "1235000");
  CHECK(eval("round", {I(INT64_MAX), I(-1)}) == "NULL");  // would be 9223372036854775810
  CHECK(eval("round", {I(INT64_MIN), I(-1)}) == "NULL");
  CHECK(eval("round", {I(INT64_MAX), I(-18)}) == "9000000000000000000");
  CHECK(eval("round", {I(INT64_MAX), I(-19)}) == "NULL");
  CHECK(eval("round", {I(4'000'000'000'000'000'000), I(-19)}) == "0");
  CHECK(eval("round", {I(INT64_MAX), I(-20)}) == "0");
  CHECK(eval("round", {I(INT64_MIN), I(INT64_MIN)}) == "0");
  CHECK(call("round", {I(1), I(0)}).type == TypeId::BigInt);
}

TEST_CASE("floor / ceil") {
  CHECK(eval("floor", {D(1.5)}) == "1.0");
  CHECK(eval("floor", {D(-1.5)}) == "-2.0");
  CHECK(eval("ceil", {D(1.2)}) == "2.0");
  CHECK(eval("ceil", {D(-1.2)}) == "-1.0");
  CHECK(eval("floor", {I(7)}) == "7");
  CHECK(eval("ceil", {I(INT64_MIN)}) == "-9223372036854775808");
  CHECK(eval("floor", {D(kNaN)}) == kNaNSql);
  CHECK(eval("ceil", {N(TypeId::Double)}) == "NULL");
}

TEST_CASE("sqrt, exp, ln, log10, log2, log") {
  CHECK(eval("sqrt", {D(16)}) == "4.0");
  CHECK(eval("sqrt", {I(2)}) == "1.4142135623730951");  // BIGINT -> DOUBLE
  CHECK(eval("sqrt", {D(0)}) == "0.0");
  CHECK(eval("sqrt", {D(-1)}) == "NULL");
  CHECK(eval("sqrt", {D(kNaN)}) == kNaNSql);
  CHECK(eval("exp", {D(0)}) == "1.0");
  CHECK(eval("exp", {D(1000)}) == "NULL");
  CHECK(eval("exp", {D(-1000)}) == "0.0");
  CHECK(eval("ln", {D(1)}) == "0.0");
  CHECK(eval("ln", {D(0)}) == "NULL");
  CHECK(eval("ln", {D(-1)}) == "NULL");
  CHECK(eval("log10", {D(1000)}) == "3.0");
  CHECK(eval("log10", {D(0)}) == "NULL");
  CHECK(eval("log2", {I(1024)}) == "10.0");
  CHECK(eval("log", {D(2), D(8)}) == "3.0");
  CHECK(eval("log", {D(1), D(8)}) == "NULL");
  CHECK(eval("log", {D(0), D(8)}) == "NULL");
  CHECK(eval("log", {D(2), D(-8)}) == "NULL");
  CHECK(eval("ln", {N(TypeId::Double)}) == "NULL");
}

TEST_CASE("power") {
  CHECK(eval("power", {D(2), D(10)}) == "1024.0");
  CHECK(eval("power", {I(2), I(-1)}) == "0.5");
  CHECK(eval("pow", {D(9), D(0.5)}) == "3.0");
  CHECK(eval("power", {D(0), D(0)}) == "1.0");
  CHECK(eval("power", {D(-8), D(1.0 / 3)}) == "NULL");  // not real
  CHECK(eval("power", {D(0), D(-1)}) == "NULL");        // infinite
  CHECK(eval("power", {D(10), D(400)}) == "NULL");      // overflow
  CHECK(eval("power", {D(-2), D(3)}) == "-8.0");
  CHECK(eval("power", {D(kNaN), D(0)}) == "1.0");
  CHECK(eval("power", {D(kNaN), D(2)}) == kNaNSql);
  CHECK(eval("power", {D(2), N(TypeId::Double)}) == "NULL");
}

TEST_CASE("mod") {
  CHECK(eval("mod", {I(7), I(3)}) == "1");
  CHECK(eval("mod", {I(-7), I(3)}) == "-1");  // sign of the dividend
  CHECK(eval("mod", {I(7), I(-3)}) == "1");
  CHECK(eval("mod", {I(7), I(0)}) == "NULL");
  CHECK(eval("mod", {I(INT64_MIN), I(-1)}) == "0");  // no trap
  CHECK(eval("mod", {I(INT64_MIN), I(INT64_MAX)}) == "-1");
  CHECK(eval("mod", {D(7.5), D(2)}) == "1.5");
  CHECK(eval("mod", {D(-7.5), D(2)}) == "-1.5");
  CHECK(eval("mod", {D(1), D(0)}) == "NULL");
  CHECK(eval("mod", {D(kInf), D(2)}) == kNaNSql);
  CHECK(eval("mod", {I(1), N(TypeId::BigInt)}) == "NULL");
  CHECK(call("mod", {I(7), I(3)}).type == TypeId::BigInt);
}

TEST_CASE("sign") {
  CHECK(eval("sign", {I(-9)}) == "-1");
  CHECK(eval("sign", {I(0)}) == "0");
  CHECK(eval("sign", {I(INT64_MAX)}) == "1");
  CHECK(eval("sign", {D(-0.5)}) == "-1.0");
  CHECK(eval("sign", {D(0.0)}) == "0.0");
  CHECK(eval("sign", {D(kNaN)}) == kNaNSql);
  CHECK(eval("sign", {N(TypeId::BigInt)}) == "NULL");
}

TEST_CASE("least / greatest ignore NULLs") {
  CHECK(eval("least", {I(3), I(1), I(2)}) == "1");
  CHECK(eval("greatest", {I(3), I(1), I(2)}) == "3");
  CHECK(eval("least", {I(3), N(TypeId::BigInt), I(2)}) == "2");
  CHECK(eval("greatest", {N(TypeId::BigInt), N(TypeId::BigInt)}) == "NULL");
  CHECK(eval("greatest", {I(5)}) == "5");
  CHECK(eval("least", {D(1.5), D(-2.5)}) == "-2.5");
  CHECK(eval("greatest", {D(1.5), D(kNaN)}) == kNaNSql);  // NaN is largest
  CHECK(eval("least", {D(kNaN), D(1.5)}) == "1.5");
  CHECK(eval("least", {S("b"), S("a"), S("c")}) == "'a'");
  CHECK(eval("greatest", {S("b"), S("\xC3\xA9"), S("z")}) == "'\xC3\xA9'");  // code point order
  CHECK(eval("least", {S(""), S("a")}) == "''");
  CHECK(eval("greatest", {TS(1000), TS(-1000)}) == "TIMESTAMP '1970-01-01 00:00:01.000'");
  CHECK(call("least", {TS(5), TS(7)}).type == TypeId::Timestamp);
  // Mixed BIGINT and DOUBLE resolves to the DOUBLE overload.
  CHECK(eval("greatest", {D(1.5), I(2)}) == "2.0");
}
