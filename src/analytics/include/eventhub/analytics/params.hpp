#pragma once
// The analytics API's query strings: which endpoint takes which parameter, and their validation.
// No I/O, no globals: any thread; unit-tested directly.
//
// Window: from <= event_time < to (UTC). Defaults: to = now, from = to - default window; when only
// `from` is given, to = now; when only `to` is given, from = to - default window. from must be < to.
// Every parameter is checked against the endpoint's allowed set: unknown, repeated or badly encoded
// names are rejected (400 naming the parameter), as are bad values.

#include <eventhub/http/types.hpp>
#include <eventhub/rollup/window.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace eventhub::analytics {

enum class Endpoint { stats, timeseries, funnel, countries, campaigns_top, users_top, revenue };

using Granularity = rollup::Grain;  // timeseries buckets are rollup buckets
enum class TopBy { events, revenue };

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
  std::optional<int> limit;  // top lists: kDefaultLimit when absent; countries: all when absent
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
std::span<const std::string_view> allowed_parameters(Endpoint endpoint);

// Buckets of a timeseries over [from, to): from floored to the granularity (UTC), up to the last bucket
// starting before `to`.
int64_t bucket_count(Granularity g, int64_t from_us, int64_t to_us);

}  // namespace eventhub::analytics
