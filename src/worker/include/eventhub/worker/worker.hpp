#pragma once
// The worker: JetStream durable pull consumer -> PostgreSQL, exactly one row per eventId.
//
// Created by the worker role (worker_role.cpp), which registers its stop action with the runtime.
// Threads (none of them an HTTP I/O thread):
//   writers   N dedicated threads (N and the fetch size from plan_writers, plan.hpp), each a
//             SubscriptionLoop (its own pull subscription bound to the shared durable consumer)
//             feeding a Writer: validate, write in one transaction, ack after COMMIT.
//   stats     ConsumerStats polls consumer info and the DLQ stream every --stats-interval-ms.
// Owns its NATS connection and PostgreSQL pool. Readiness checks (registered under role
// "worker"): nats, postgres, consumer.

#include <eventhub/common/config.hpp>
#include <eventhub/common/health.hpp>

#include <chrono>
#include <memory>

namespace prometheus {
class Registry;
}

namespace eventhub::worker {

class Worker {
 public:
  Worker(const common::WorkerConfig& config, prometheus::Registry& registry, common::Health& health);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Starts the writer and stats threads (returns at once; NATS/PostgreSQL may still be down).
  void start();
  // Drain: stop fetching, finish (commit, ack) the batches in hand, return. Messages still held at
  // the deadline because PostgreSQL is down are NAKed (redelivered later), never dead-lettered.
  void stop(std::chrono::steady_clock::time_point deadline);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace eventhub::worker
