#include <eventhub/common/time.hpp>

#include <catch2/catch.hpp>

using namespace eventhub::common;

namespace {
int64_t us(const char* text, Rfc3339Syntax syntax = {}) { return to_unix_us(parse_rfc3339(text, syntax).value()); }
constexpr int64_t kSecond = 1'000'000;
}  // namespace

TEST_CASE("RFC 3339 parsing: instants, offsets, fractions", "[common][time]") {
  CHECK(us("1970-01-01T00:00:00Z") == 0);
  CHECK(us("1970-01-01T00:00:01.5Z") == 1'500'000);
  CHECK(us("1970-01-01t00:00:00.123456789z") == 123'456);  // truncated to microseconds
  CHECK(us("1970-01-01T01:00:00+01:00") == 0);
  CHECK(us("1969-12-31T19:00:00-05:00") == 0);
  CHECK(us("2026-11-25T08:40:00-00:30") == us("2026-11-25T09:10:00Z"));
  CHECK(us("2026-01-02T03:04:05Z") - us("2026-01-01T03:04:05Z") == 86'400 * kSecond);
  CHECK(us("0001-01-01T00:00:00Z") == -62'135'596'800 * kSecond);
  CHECK(us("9999-12-31T23:59:59.999999Z") == 253'402'300'799'999'999);
}

TEST_CASE("RFC 3339 parsing: a leap second is the first instant of the next minute (as PostgreSQL reads it)",
          "[common][time]") {
  CHECK(us("2026-12-31T23:59:60Z") == us("2027-01-01T00:00:00Z"));
  CHECK(us("2026-01-01T00:00:60.5Z") == us("2026-01-01T00:01:00.5Z"));
}

TEST_CASE("RFC 3339 parsing: what is rejected", "[common][time]") {
  for (const char* bad :
       {"", "2026-11-25", "2026-11-25T08:40:00", "2026-11-25T08:40:00Zjunk", "2023-02-29T00:00:00Z",
        "2026-13-01T00:00:00Z", "0000-01-01T00:00:00Z", "2026-01-31T24:00:00Z", "2026-01-31T12:60:00Z",
        "2026-01-31T12:00:61Z", "2026-01-31T12:00:00.Z", "2026-01-31T12:00:00.1234567890Z",
        "2026-01-31T12:00:00+0100", "2026-01-31T12:00:00+24:00", "2026-01-31T12:00:00+01:60", "1706702400",
        "2026-1-31T12:00:00Z", "2026-01-31T12:00:00Z ", "2026-01-31 12:00:00Z", "2026-01-31T12:00:00+01:00x",
        // instants outside years 0001-9999 in UTC (found by fuzz_time)
        "9999-12-31T23:59:60.999z", "9999-12-31T23:00:00-01:00", "0001-01-01T00:00:00+00:01"}) {
    INFO(bad);
    CHECK_FALSE(parse_rfc3339(bad).has_value());
  }
}

TEST_CASE("RFC 3339 parsing: a space separator only when asked for (command-line input)", "[common][time]") {
  const Rfc3339Syntax lenient{.allow_space_separator = true};
  CHECK(us("2026-01-31 12:00:00Z", lenient) == us("2026-01-31T12:00:00Z"));
  CHECK_FALSE(parse_rfc3339("2026-01-31 12:00:00Z").has_value());
  CHECK_FALSE(parse_rfc3339("2026-01-31_12:00:00Z", lenient).has_value());
}

TEST_CASE("RFC 3339 formatting at each precision, round trips", "[common][time]") {
  CHECK(format_rfc3339(from_unix_us(0), FractionDigits::micros) == "1970-01-01T00:00:00.000000Z");
  CHECK(format_rfc3339(from_unix_us(-1), FractionDigits::micros) == "1969-12-31T23:59:59.999999Z");
  CHECK(format_rfc3339(from_unix_us(-1), FractionDigits::millis) == "1969-12-31T23:59:59.999Z");
  CHECK(format_rfc3339(from_unix_us(-1), FractionDigits::none) == "1969-12-31T23:59:59Z");
  CHECK(format_rfc3339(*parse_rfc3339("2024-02-29T23:59:59.25+00:00"), FractionDigits::none) ==
        "2024-02-29T23:59:59Z");
  CHECK(format_rfc3339(*parse_rfc3339("2025-11-24T16:00:00.007Z"), FractionDigits::millis) ==
        "2025-11-24T16:00:00.007Z");
  for (const char* s : {"2026-01-02T03:04:05.123456Z", "0001-01-01T00:00:00.000000Z", "9999-12-31T23:59:59.999999Z",
                        "1900-02-28T12:00:00.000001Z"}) {
    INFO(s);
    CHECK(format_rfc3339(*parse_rfc3339(s), FractionDigits::micros) == s);
  }
}
