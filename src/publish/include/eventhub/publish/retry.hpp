#pragma once
// Retry policy of `eventhub publish`: which answers are retried, how long to wait (exponential backoff
// with full jitter, never less than the server's Retry-After), and Retry-After parsing. Pure functions.

#include <chrono>
#include <optional>
#include <string_view>

namespace eventhub::publish {

struct BackoffPolicy {
  std::chrono::milliseconds base{100};          // first retry waits up to this
  std::chrono::milliseconds cap{10'000};        // exponential growth stops here
  std::chrono::milliseconds max_retry_after{60'000};  // a larger Retry-After is clamped to this
};

// Delay before retry number `attempt` (0 = first retry). Full jitter: uniform in
// [0, min(cap, base * 2^attempt)); `unit_random` in [0, 1) supplies the randomness. With a
// Retry-After the server's wait comes first and the jitter is added on top, so clients that were
// all told "1 s" do not come back in the same millisecond.
std::chrono::milliseconds backoff_delay(const BackoffPolicy& policy, int attempt,
                                        std::optional<std::chrono::milliseconds> retry_after, double unit_random);

// Retry-After value: delta-seconds ("3") or an HTTP-date ("Wed, 21 Oct 2015 07:28:00 GMT", relative to
// `now`; a date in the past means 0). Anything else: nullopt.
std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value,
                                                           std::chrono::system_clock::time_point now);

// 429, 502, 503, 504: the request as a whole was not taken and may be sent again.
bool retryable_status(unsigned status);

}  // namespace eventhub::publish
