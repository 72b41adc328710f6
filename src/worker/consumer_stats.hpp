#pragma once
// Private to src/worker. The stats poller: a thread of its own that every --stats-interval-ms reads
// the consumer's NumPending / NumAckPending and the dead-letter stream's message count into the
// gauges, and keeps the last values for the subscription loops' stuck-subscription check.

#include "metrics.hpp"
#include "stop_signal.hpp"
#include "subscription_loop.hpp"

#include <eventhub/common/config.hpp>
#include <eventhub/nats/connection.hpp>

#include <atomic>
#include <cstdint>
#include <thread>

namespace eventhub::worker {

class ConsumerStats {
 public:
  ConsumerStats(nats::Connection& connection, const common::WorkerConfig& config, Metrics& metrics, StopSignal& stop,
                ConsumerProvisioner& provisioner)
      : connection_(connection), config_(config), metrics_(metrics), stop_(stop), provisioner_(provisioner) {}
  ~ConsumerStats() { join(); }
  ConsumerStats(const ConsumerStats&) = delete;
  ConsumerStats& operator=(const ConsumerStats&) = delete;

  void start() { thread_ = std::thread([this] { run(); }); }
  // Returns once the thread has seen the stop request.
  void join() {
    if (thread_.joinable()) thread_.join();
  }

  int64_t pending() const { return pending_.load(); }
  int64_t ack_pending() const { return ack_pending_.load(); }

 private:
  void run();

  nats::Connection& connection_;
  const common::WorkerConfig& config_;
  Metrics& metrics_;
  StopSignal& stop_;
  ConsumerProvisioner& provisioner_;
  std::atomic<int64_t> pending_{0};
  std::atomic<int64_t> ack_pending_{0};
  std::thread thread_;
};

}  // namespace eventhub::worker
