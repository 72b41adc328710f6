#pragma once
// RFC 3339 date-times, the one parser and formatter of the project (event timestamps, analytics
// from/to, dead-letter headers, the load generator's clock). Instants are std::chrono::sys_time in
// microseconds: PostgreSQL's timestamptz precision, and wide enough for years 0001-9999 (nanoseconds
// in 64 bits end in 2262). Pure functions: any thread.
//
// Accepted: YYYY-MM-DD('T'|'t')HH:MM:SS[.fraction](Z|z|+HH:MM|-HH:MM)
//   - a real calendar date, year 0001-9999, and an instant in those years in UTC too (an offset
//     cannot carry it to year 0 or 10000); hours 00-23, minutes 00-59, seconds 00-60;
//   - an offset is required (a date-time without one names no instant);
//   - 1 to 9 fraction digits, truncated to microseconds;
//   - second 60 (a leap second) is the first instant of the next minute, as PostgreSQL reads it,
//     so the worker's stored event_time and the analytics window agree on where such an event falls.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace eventhub::common {

using Micros = std::chrono::microseconds;
using TimePoint = std::chrono::sys_time<Micros>;

struct Rfc3339Syntax {
  // Also accept ' ' between date and time (RFC 3339 section 5.6 allows it "for readability"):
  // for command-line input; event timestamps keep the strict 'T'.
  bool allow_space_separator = false;
};

std::optional<TimePoint> parse_rfc3339(std::string_view text, Rfc3339Syntax syntax = {});

enum class FractionDigits { none = 0, millis = 3, micros = 6 };

// "2026-01-02T03:04:05Z", "...05.123Z" or "...05.123456Z": UTC, the fraction truncated to `digits`.
std::string format_rfc3339(TimePoint t, FractionDigits digits);

// Microseconds since the Unix epoch, the integer form the analytics code computes with.
inline int64_t to_unix_us(TimePoint t) { return t.time_since_epoch().count(); }
inline TimePoint from_unix_us(int64_t us) { return TimePoint(Micros(us)); }

inline TimePoint now() { return std::chrono::time_point_cast<Micros>(std::chrono::system_clock::now()); }

}  // namespace eventhub::common
