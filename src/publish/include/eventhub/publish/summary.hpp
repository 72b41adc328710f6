#pragma once
// What `eventhub publish` counts, the ingest answer it reads those counts from, and the final JSON
// line it prints. Definitions (docs/publish.md):
//   sent        events put in a request at least once (a retried event counts once)
//   accepted    events the ingest took: in a 202 body and not listed in its `rejected` (includes duplicates)
//   duplicates  of those, how many the ingest reported as already stored (the 202 `duplicates` field)
//   rejected    events listed in `rejected` of a 202 or 422 answer (invalid)
//   failed      events given up: retries exhausted, or another non-2xx answer (400, 401, 413, 500, ...)
//   sent == accepted + rejected + failed once the run has finished.
// Pure functions; no I/O.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace eventhub::publish {

struct Summary {
  int64_t sent = 0;
  int64_t accepted = 0;
  int64_t duplicates = 0;
  int64_t rejected = 0;
  int64_t failed = 0;
  double seconds = 0;           // first request sent -> last answer received
  int64_t unique_accepted = 0;  // distinct eventIds accepted: the rows this run should leave in `events`
  int64_t requests = 0;         // HTTP exchanges, retries included
  int64_t retries = 0;
  double p50_ms = 0;            // latency of HTTP exchanges that got an answer
  double p99_ms = 0;
  double max_ms = 0;
  int64_t start_unix_ms = 0;
  int64_t end_unix_ms = 0;
  uint64_t seed = 0;
  bool interrupted = false;     // SIGINT/SIGTERM stopped the run before every event was sent
  bool aborted = false;         // stopped early: every connection gave up twice in a row
};

// {"sent":…,"accepted":…,"duplicates":…,"rejected":…,"failed":…,"seconds":…,"eventsPerSecond":…, then
// the extra fields}. eventsPerSecond = accepted / seconds (0 when seconds is 0).
std::string summary_json(const Summary& summary);

// Parsed 202/422 body: {"accepted":N,"duplicates":D,"rejected":[{"index":i,…},…]}.
struct IngestAnswer {
  int64_t duplicates = 0;
  std::vector<int64_t> rejected_indexes;  // valid indexes into the request's events, each once
};
// nullopt when the body is not that shape (or an index is outside [0, events)).
std::optional<IngestAnswer> parse_ingest_answer(std::string_view body, int64_t events);

// Request latencies in log-spaced buckets (1% wide, 10 µs .. ~10 min): fixed memory however many
// requests, percentiles within 1%.
class LatencyHistogram {
 public:
  LatencyHistogram();
  void record(double ms);
  int64_t count() const { return count_; }
  double max() const { return max_; }
  // Nearest rank (p in [0, 100]): the upper edge of the bucket holding that rank, capped at max(); 0 when empty.
  double percentile(double p) const;

 private:
  std::vector<int64_t> buckets_;
  int64_t count_ = 0;
  double max_ = 0;
};

}  // namespace eventhub::publish
