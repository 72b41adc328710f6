#include <eventhub/publish/retry.hpp>

#include <catch2/catch.hpp>

using namespace eventhub::publish;
using std::chrono::milliseconds;

TEST_CASE("backoff: exponential ceiling with full jitter, capped", "[publish][retry]") {
  const BackoffPolicy p;  // base 100 ms, cap 10 s
  CHECK(backoff_delay(p, 0, std::nullopt, 0.0) == milliseconds{0});
  CHECK(backoff_delay(p, 0, std::nullopt, 0.5) == milliseconds{50});
  CHECK(backoff_delay(p, 0, std::nullopt, 0.999) < milliseconds{100});
  CHECK(backoff_delay(p, 3, std::nullopt, 0.5) == milliseconds{400});  // ceiling 800 ms
  CHECK(backoff_delay(p, 7, std::nullopt, 0.999) < milliseconds{10'000});
  CHECK(backoff_delay(p, 7, std::nullopt, 0.5) == milliseconds{5'000});  // 12.8 s capped to 10 s
  CHECK(backoff_delay(p, 500, std::nullopt, 0.5) == milliseconds{5'000});  // no overflow
  CHECK(backoff_delay(p, -1, std::nullopt, 0.5) == milliseconds{50});
}

TEST_CASE("backoff honours Retry-After and adds jitter on top", "[publish][retry]") {
  const BackoffPolicy p;
  CHECK(backoff_delay(p, 0, milliseconds{2'000}, 0.0) == milliseconds{2'000});
  CHECK(backoff_delay(p, 0, milliseconds{2'000}, 0.5) == milliseconds{2'050});
  CHECK(backoff_delay(p, 2, milliseconds{0}, 0.5) == milliseconds{200});
  CHECK(backoff_delay(p, 0, milliseconds{3'600'000}, 0.0) == p.max_retry_after);  // clamped
}

TEST_CASE("Retry-After: delta-seconds and HTTP-date", "[publish][retry]") {
  const auto now = std::chrono::system_clock::from_time_t(1'445'412'470);  // Wed, 21 Oct 2015 07:27:50 GMT
  CHECK(parse_retry_after("0", now) == milliseconds{0});
  CHECK(parse_retry_after("3", now) == milliseconds{3'000});
  CHECK(parse_retry_after(" 120 ", now) == milliseconds{120'000});
  CHECK(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now) == milliseconds{10'000});
  CHECK(parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now) == milliseconds{0});
  CHECK_FALSE(parse_retry_after("", now).has_value());
  CHECK_FALSE(parse_retry_after("-1", now).has_value());
  CHECK_FALSE(parse_retry_after("1.5", now).has_value());
  CHECK_FALSE(parse_retry_after("soon", now).has_value());
  CHECK_FALSE(parse_retry_after("Wed, 21 Foo 2015 07:28:00 GMT", now).has_value());
  CHECK_FALSE(parse_retry_after("Wed, 21 Oct 2015 07:28:00 CET", now).has_value());
}

TEST_CASE("which statuses are retried", "[publish][retry]") {
  for (unsigned s : {429u, 502u, 503u, 504u}) CHECK(retryable_status(s));
  for (unsigned s : {200u, 202u, 400u, 401u, 413u, 415u, 422u, 500u}) CHECK_FALSE(retryable_status(s));
}
