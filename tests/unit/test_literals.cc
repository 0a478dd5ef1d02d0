// Go literals as strconv writes them (engine/values/literals.h); the expected strings are
// what Go 1.26's strconv printed for the same inputs.
#include <catch2/catch_test_macros.hpp>

#include <cmath>
#include <limits>

#include "literals.h"

using namespace goinspect;

TEST_CASE("floats are spelled as strconv.FormatFloat(f, 'g', -1, bits)", "[values]") {
  CHECK(goFloat64(0) == "0");
  CHECK(goFloat64(-1) == "-1");
  CHECK(goFloat64(1.5) == "1.5");
  CHECK(goFloat64(100000) == "100000");
  CHECK(goFloat64(999999) == "999999");
  CHECK(goFloat64(1000000) == "1e+06");
  CHECK(goFloat64(1234567) == "1.234567e+06");
  CHECK(goFloat64(123456.7) == "123456.7");
  CHECK(goFloat64(1e20) == "1e+20");
  CHECK(goFloat64(1e-4) == "0.0001");
  CHECK(goFloat64(1e-5) == "1e-05");
  CHECK(goFloat64(1.0 / 3) == "0.3333333333333333");
  CHECK(goFloat32(1.0f / 3) == "0.33333334");
  CHECK(goFloat64(1.7976931348623157e308) == "1.7976931348623157e+308");
  CHECK(goFloat64(5e-324) == "5e-324");
  CHECK(goFloat64(std::numeric_limits<double>::infinity()) == "+Inf");
  CHECK(goFloat64(-std::numeric_limits<double>::infinity()) == "-Inf");
  CHECK(goFloat64(std::nan("")) == "NaN");
}

TEST_CASE("complex numbers are spelled as strconv.FormatComplex", "[values]") {
  CHECK(goComplex128(1, 2) == "(1+2i)");
  CHECK(goComplex128(1, -2) == "(1-2i)");
  CHECK(goComplex128(std::numeric_limits<double>::infinity(), std::nan("")) == "(+Inf+NaNi)");
  CHECK(goComplex64(1.1f, 2.2f) == "(1.1+2.2i)");
}

TEST_CASE("strings are quoted as strconv.Quote", "[values]") {
  CHECK(goQuote("") == "\"\"");
  CHECK(goQuote("tab\there \"q\" back\\ h\u00e9llo \u4e16 \x01\xff \u00a0\u00ad\u2028\ufeff\U0001F600 \x7f end") ==
        "\"tab\\there \\\"q\\\" back\\\\ h\u00e9llo \u4e16 \\x01\\xff \\u00a0\\u00ad\\u2028\\ufeff\U0001F600 \\x7f end\"");
  CHECK(goQuote("\xe4\xb8") == "\"\\xe4\\xb8\"");  // a sequence cut short
  CHECK(goQuote("\xed\xa0\x80") == "\"\\xed\\xa0\\x80\"");  // a surrogate is not UTF-8
  CHECK(goQuote("\xc0\x80") == "\"\\xc0\\x80\"");  // nor an overlong form
}

TEST_CASE("a cut string keeps whole runes", "[values]") {
  CHECK(runeCut("abc", 10) == 3);
  CHECK(runeCut("ab\u4e16", 3) == 2);  // the 3-byte rune starts at 2
  CHECK(runeCut("ab\u4e16", 5) == 5);
  CHECK(runeCut("abcd", 2) == 2);
}
