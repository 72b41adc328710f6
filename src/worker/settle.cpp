#include "settle.hpp"

#include <eventhub/common/log.hpp>

namespace eventhub::worker {

void Settler::ack(Item& item, int64_t commit_ns) {
  check(AckOp::ack, item.msg.ack());
  settled(item);
  if (item.meta.timestamp_ns > 0)
    metrics_.lag.Observe(static_cast<double>(commit_ns - item.meta.timestamp_ns) / 1e9);
}

void Settler::nak(Item& item) {
  check(AckOp::nak, item.msg.nak());
  settled(item);
}

void Settler::nak_with_delay(Item& item, std::chrono::milliseconds delay) {
  check(AckOp::nak, item.msg.nak_with_delay(delay));
  settled(item);
}

void Settler::term(Item& item) {
  check(AckOp::term, item.msg.term());
  settled(item);
}

void Settler::keep_alive(Item& item) { check(AckOp::in_progress, item.msg.in_progress()); }

// A refused acknowledgement leaves the message with the server, which delivers it again after the
// ack wait: counted as settled here all the same, since this worker is done with it.
void Settler::settled(Item& item) {
  item.settled = true;
  metrics_.inflight.Decrement();
}

void Settler::check(AckOp op, const nats::Status& status) {
  if (status.ok()) return;
  metrics_.ack_failed(op).Increment();
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(log_mutex_);
  ++unlogged_;
  if (last_log_ && now - *last_log_ < kLogEvery) return;
  log::warn("worker: acknowledgement failed; the server redelivers after the ack wait", "op", ack_op_name(op),
            "error", status.text(), "failures", unlogged_);
  last_log_ = now;
  unlogged_ = 0;
}

}  // namespace eventhub::worker
