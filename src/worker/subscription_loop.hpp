#pragma once
// Private to src/worker. How a fetch is done: each writer thread runs a SubscriptionLoop — its own
// pull subscription bound to the shared durable consumer, fetch, hand the batch to its Writer,
// repeat — and keeps that subscription healthy: bind after every NATS (re)connect, rebind after 3
// consecutive fetch errors, after "consumer not found" (re-provisioning first), and when 5 fetches
// in a row come back empty while the consumer reports messages pending (the known "stuck pull
// subscription" after a server restart). ConsumerProvisioner creates the streams and the consumer,
// once and again after they vanished; it is shared by the loops and the stats poller.

#include "stop_signal.hpp"

#include <eventhub/common/config.hpp>
#include <eventhub/nats/connection.hpp>
#include <eventhub/nats/message.hpp>

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <vector>

namespace eventhub::worker {

class ConsumerStats;

class ConsumerProvisioner {
 public:
  ConsumerProvisioner(nats::Connection& connection, const common::WorkerConfig& config)
      : connection_(connection), config_(config) {}
  // Streams and consumer exist (provisions them if needed; logs and returns false on failure).
  bool ensure();
  // They were found missing: the next ensure() provisions again.
  void invalidate() { provisioned_ = false; }
  bool provisioned() const { return provisioned_.load(); }

 private:
  nats::Connection& connection_;
  const common::WorkerConfig& config_;
  std::mutex mutex_;
  std::atomic<bool> provisioned_{false};
};

// Owned by the Worker, shared by its loops.
struct Subscriptions {
  std::atomic<uint64_t> generation{0};  // bumped on every NATS (re)connect: every loop binds afresh
  std::atomic<int> bound{0};            // loops with a subscription bound (readiness)
};

class SubscriptionLoop {
 public:
  struct Shared {
    nats::Connection& connection;
    const common::WorkerConfig& config;
    StopSignal& stop;
    ConsumerProvisioner& provisioner;
    const ConsumerStats& stats;
    Subscriptions& subscriptions;
  };
  using Process = std::function<void(std::vector<nats::Message>&& batch, double fetch_ms)>;

  SubscriptionLoop(const Shared& shared, int index, int fetch, Heartbeat& heartbeat)
      : s_(shared), index_(index), fetch_(fetch), heartbeat_(heartbeat) {}

  // Fetches and processes batches until the drain starts; `process` settles each batch before the
  // next fetch (the subscription must outlive the messages it delivered).
  void run(const Process& process);

 private:
  Shared s_;
  int index_;
  int fetch_;
  Heartbeat& heartbeat_;
};

}  // namespace eventhub::worker
