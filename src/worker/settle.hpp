#pragma once
// Private to src/worker. How a fetched message is acknowledged: Item is one message of a batch
// with what the worker learnt about it; Settler sends its ack / NAK / Term / InProgress, keeps the
// in-flight gauge and the lag histogram, and counts refused acknowledgements in
// eventhub_worker_ack_failures_total{op} — logged at most once per kLogEvery, never per message.
// One Settler, shared by the writer threads (thread-safe).

#include "metrics.hpp"

#include <eventhub/events/event.hpp>
#include <eventhub/nats/message.hpp>

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>

namespace eventhub::worker {

inline int64_t unix_now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

struct Item {
  nats::Message msg;
  nats::MessageMeta meta;
  bool settled = false;  // acked, terminated or NAKed
  events::EventRow row;
};

class Settler {
 public:
  explicit Settler(Metrics& metrics) : metrics_(metrics) {}

  // Stored (new or duplicate) with a COMMIT at `commit_ns`.
  void ack(Item& item, int64_t commit_ns);
  // Not written: redelivered at once / after `delay`.
  void nak(Item& item);
  void nak_with_delay(Item& item, std::chrono::milliseconds delay);
  // Dead letter stored: never deliver the original again.
  void term(Item& item);
  // Held (database down): reset the ack timer without settling or counting a delivery.
  void keep_alive(Item& item);

 private:
  static constexpr auto kLogEvery = std::chrono::seconds(10);
  void settled(Item& item);
  void check(AckOp op, const nats::Status& status);

  Metrics& metrics_;
  std::mutex log_mutex_;
  std::optional<std::chrono::steady_clock::time_point> last_log_;
  int64_t unlogged_ = 0;  // failures since the last log line
};

}  // namespace eventhub::worker
