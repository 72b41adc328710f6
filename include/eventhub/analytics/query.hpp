#pragma once
// Pure request logic of the analytics API: query-string validation, parameterised SQL building and
// JSON rendering of result rows. No I/O, no globals: any thread; unit-tested directly.
//
// Window: from <= event_time < to (UTC). Defaults: to = now, from = to - default window; when only
// `from` is given, to = now; when only `to` is given, from = to - default window. from must be < to.
// Every parameter is checked against the endpoint's allowed set: unknown, repeated or badly encoded
// names are rejected (400 naming the parameter), as are bad values.

#include <eventhub/http/types.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace eventhub::analytics {

enum class Endpoint { stats, timeseries, funnel, countries, campaigns_top, users_top, revenue };
inline constexpr Endpoint kEndpoints[] = {Endpoint::stats,         Endpoint::timeseries, Endpoint::funnel,
                                          Endpoint::countries,     Endpoint::campaigns_top,
                                          Endpoint::users_top,     Endpoint::revenue};

std::string_view endpoint_path(Endpoint e);   // "/analytics/stats"
std::string_view endpoint_label(Endpoint e);  // metrics label: "stats", "campaigns_top", ...

enum class Granularity { minute, hour, day };
enum class TopBy { events, revenue };
std::string_view granularity_name(Granularity g);

inline constexpr int kDefaultLimit = 10;
inline constexpr int kMaxLimit = 1000;
// A timeseries answer has at most this many buckets (7 days of minutes fit).
inline constexpr int64_t kMaxBuckets = 20'000;

struct QueryOptions {
  int64_t from_us = 0;  // Unix microseconds, inclusive
  int64_t to_us = 0;    // exclusive
  std::optional<std::string> source;
  std::optional<std::string> funnel_stage;
  std::optional<std::string> event_type;
  Granularity granularity = Granularity::hour;
  TopBy by = TopBy::events;
  int limit = kDefaultLimit;
};

struct ParamError {
  std::string parameter;
  std::string message;
};

struct ParseResult {
  std::optional<QueryOptions> options;  // set when valid
  std::optional<ParamError> error;      // set when not
};

// Validates the query of one endpoint. `now_us` and `default_window` supply the default window.
ParseResult parse_options(Endpoint endpoint, const http::QueryParams& params, int64_t now_us,
                          std::chrono::hours default_window);

// Parameter names an endpoint accepts.
const std::vector<std::string_view>& allowed_parameters(Endpoint endpoint);

// RFC 3339 date-time ("2026-01-02T03:04:05.123Z", offsets allowed, 'T'/'t' and 'Z'/'z'), to Unix
// microseconds (fractions beyond microseconds are truncated). nullopt when malformed or impossible.
std::optional<int64_t> parse_rfc3339(std::string_view text);
// "2026-01-02T03:04:05.123456Z" (microseconds always written) or without fraction when `fraction` false.
std::string format_rfc3339(int64_t unix_us, bool fraction = true);

// Buckets of a timeseries over [from, to): from floored to the granularity (UTC), up to the last bucket
// starting before `to`.
int64_t bucket_count(Granularity g, int64_t from_us, int64_t to_us);

// One parameterised statement: placeholders $1..$n, values in `params` (text format). No user input
// is ever part of `sql`.
struct SqlQuery {
  std::string sql;
  std::vector<std::optional<std::string>> params;
};

// The statements answering an endpoint, run in order in one read-only snapshot.
std::vector<SqlQuery> build_queries(Endpoint endpoint, const QueryOptions& options);

// Result rows as text (nullopt = SQL NULL), as libpq hands them over.
using Row = std::vector<std::optional<std::string>>;
using Rows = std::vector<Row>;

// The JSON body (CONTRACT.md shape) from the rows of build_queries' statements (same order).
// Throws std::runtime_error when the rows do not have the expected shape.
std::string render(Endpoint endpoint, const QueryOptions& options, const std::vector<Rows>& results);

}  // namespace eventhub::analytics
