#pragma once
// Private to src/worker. The worker's metric families, registered once by the Worker (names are
// listed in docs/worker.md). Prometheus counters and gauges are thread-safe: every worker thread
// updates them directly.

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <array>
#include <string>

namespace eventhub::worker {

// Label values of eventhub_worker_messages_failed_total{reason} besides the dead-letter reasons.
// db_unavailable: batch held and retried (per message, per attempt); dlq_unavailable: dead letter not
// stored, the original NAKed for later.
inline constexpr const char* kFailDbUnavailable = "db_unavailable";
inline constexpr const char* kFailDlqUnavailable = "dlq_unavailable";

// Label values of eventhub_worker_ack_failures_total{op} (a NAK with delay counts as nak).
enum class AckOp { ack = 0, nak, term, in_progress };
const char* ack_op_name(AckOp op);

struct Metrics {
  explicit Metrics(prometheus::Registry& registry);

  prometheus::Counter& failed(const std::string& reason) { return failed_family.Add({{"reason", reason}}); }
  prometheus::Counter& dead_lettered(const std::string& reason) { return dead_family.Add({{"reason", reason}}); }
  prometheus::Counter& ack_failed(AckOp op) { return *ack_failures[static_cast<std::size_t>(op)]; }

  prometheus::Counter& received;
  prometheus::Counter& persisted;
  prometheus::Counter& duplicate;
  prometheus::Family<prometheus::Counter>& failed_family;
  prometheus::Family<prometheus::Counter>& dead_family;
  prometheus::Family<prometheus::Counter>& ack_failures_family;
  std::array<prometheus::Counter*, 4> ack_failures{};
  prometheus::Histogram& batch_duration;
  prometheus::Histogram& batch_size;
  prometheus::Gauge& inflight;
  prometheus::Gauge& pending;
  prometheus::Gauge& ack_pending;
  prometheus::Histogram& lag;
  prometheus::Gauge& dlq_messages;
};

}  // namespace eventhub::worker
