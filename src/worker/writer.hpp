#pragma once
// Private to src/worker. One writer's batch work, on its writer thread: admit each fetched message
// (plan.hpp: admit), write the admitted rows in one transaction (write_batch) following WritePlan —
// bisecting on data errors until the rejected row is alone — ack after COMMIT, and while PostgreSQL
// is unavailable hold the batch, sending InProgress every ack-wait/3, until the database is back or
// the drain deadline passes. One Writer per writer thread; it owns that thread's COPY buffer.

#include "dead_letter_sink.hpp"
#include "metrics.hpp"
#include "settle.hpp"
#include "stop_signal.hpp"

#include <eventhub/common/config.hpp>
#include <eventhub/nats/message.hpp>
#include <eventhub/pg/pool.hpp>

#include <atomic>
#include <string>
#include <vector>

namespace eventhub::worker {

class Writer {
 public:
  struct Shared {
    const common::WorkerConfig& config;
    pg::Pool& pool;
    Metrics& metrics;
    Settler& settler;
    DeadLetterSink& sink;
    StopSignal& stop;
    std::atomic<int>& held_for_database;  // writers holding a batch (readiness)
  };
  Writer(const Shared& shared, int index, Heartbeat& heartbeat) : s_(shared), index_(index), heartbeat_(heartbeat) {}

  // Settles every message of the batch (ack, Term after its dead letter, or NAK) before returning.
  void process(std::vector<nats::Message>&& messages, double fetch_ms);

 private:
  enum class Outcome { committed, rejected, unavailable };
  struct Written {
    Outcome outcome = Outcome::committed;
    int64_t inserted = 0;
    std::string error;
  };
  Written write(const std::vector<const events::EventRow*>& rows);
  bool hold_until_database(std::vector<Item>& items, Clock::time_point& last_progress);

  Shared s_;
  int index_;
  Heartbeat& heartbeat_;
  std::string copy_buffer_;
  int staging_batches_left_ = 0;
};

}  // namespace eventhub::worker
