#pragma once
// The sending side of `eventhub publish`: N keep-alive HTTP/1.1 connections (Boost.Beast coroutines
// on one io_context run by the calling thread), a shared pacing schedule for --rate, retries with
// backoff, and the counting of what the ingest answered. run_load blocks until every event is
// answered or given up (or SIGINT/SIGTERM when handle_signals), then returns the counts.

#include <eventhub/publish/generator.hpp>
#include <eventhub/publish/progress.hpp>
#include <eventhub/publish/retry.hpp>
#include <eventhub/publish/summary.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace eventhub::publish {

struct HttpUrl {
  std::string host;
  std::string port;
  std::string target;
};
// "http://host[:port][/path]" (host may be "[v6]"); nullopt otherwise.
std::optional<HttpUrl> parse_http_url(std::string_view url);

struct LoadOptions {
  HttpUrl url;
  int64_t count = 0;
  int batch = 100;             // 1 = single-event bodies, else JSON arrays
  int connections = 8;
  double rate = 0;             // events/s over all connections; 0 = as fast as possible
  int max_retries = 10;
  std::string api_key;         // non-empty: Authorization: Bearer <key>
  bool gzip = false;
  uint64_t jitter_seed = 1;    // randomness of backoff jitter
  BackoffPolicy backoff;
  std::chrono::milliseconds connect_timeout{5'000};
  std::chrono::milliseconds request_timeout{30'000};
  bool handle_signals = true;  // SIGINT/SIGTERM: stop sending, finish what is in flight (twice: abort it)
};

Summary run_load(const LoadOptions& options, const EventGenerator& generator, ProgressDisplay& progress);

// Gzip (RFC 1952) of `data`, fast compression level.
std::string gzip_compress(std::string_view data);

}  // namespace eventhub::publish
