#pragma once
// JetStream publishing for ingest: async publishes (nats::AsyncPublisher) with Nats-Msg-Id = eventId
// and a per-message MaxWait, a bounded number in flight (our limit, 429, below cnats' MaxPending),
// and a coroutine that resumes once every message of the request has its PubAck (or failed). PubAck
// callbacks run on cnats threads: they only touch atomics, a sharded map keyed by the message, and
// post to the request's executor.
//
// Stream setup: ensure_streams runs on the publisher's own thread after every (re)connect; until
// it succeeded, ready() is false and requests get 503.

#include <eventhub/common/config.hpp>
#include <eventhub/ingest/batch.hpp>
#include <eventhub/ingest/metrics.hpp>
#include <eventhub/nats/async_publisher.hpp>
#include <eventhub/nats/connection.hpp>

#include <boost/asio/awaitable.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace eventhub::ingest {

struct PublishResult {
  enum class Kind {
    ok,           // every event has a PubAck
    unavailable,  // not connected / streams not ready: nothing published (503)
    overloaded,   // in-flight limit: nothing published (429)
    timeout,      // some PubAck did not arrive within the publish timeout (503)
    error,        // the server refused some message (stream full, JetStream off, ...) (503)
  };
  Kind kind = Kind::ok;
  std::size_t duplicates = 0;   // PubAcks with Duplicate set
  std::vector<bool> duplicate;  // per event (same order as published): its PubAck had Duplicate set
  std::string detail;          // first failure, for the log and the 503 message
};

class Publisher {
 public:
  Publisher(nats::Connection& connection, const common::IngestConfig& config, IngestMetrics& metrics);
  ~Publisher();
  Publisher(const Publisher&) = delete;
  Publisher& operator=(const Publisher&) = delete;

  // Connected and the streams exist. Non-blocking.
  bool ready() const;
  std::string not_ready_reason() const;

  // Publishes `events` and resumes when all are acknowledged or failed; call from a coroutine on
  // the request's (strand) executor. All-or-nothing from the client's view: any failure -> not ok.
  boost::asio::awaitable<PublishResult> publish(const std::vector<OutgoingEvent>& events);

  // Waits for outstanding PubAcks until `deadline` (shutdown, after the HTTP server drained).
  void drain(std::chrono::steady_clock::time_point deadline);

  struct Batch;  // per-request state shared with the cnats ack callback (publisher.cpp)

 private:
  void handle_ack(const nats::AsyncAck& ack);
  void setup_loop();

  struct Shard {
    std::mutex mutex;
    // published, awaiting PubAck: the batch and the event's index in it
    std::unordered_map<nats::MessageKey, std::pair<std::shared_ptr<Batch>, std::size_t>> pending;
  };
  static constexpr std::size_t kShards = 64;
  Shard& shard_of(nats::MessageKey key);
  void track(nats::MessageKey key, const std::shared_ptr<Batch>& batch, std::size_t index);
  std::pair<std::shared_ptr<Batch>, std::size_t> untrack(nats::MessageKey key);

  nats::Connection& connection_;
  common::IngestConfig config_;
  IngestMetrics& metrics_;
  std::atomic<std::int64_t> inflight_{0};
  std::atomic<bool> streams_ready_{false};
  std::vector<Shard> shards_;

  mutable std::mutex setup_mutex_;
  std::condition_variable setup_cv_;
  bool setup_requested_ = true;
  bool stopping_ = false;
  std::string setup_error_;  // guarded by setup_mutex_
  std::thread setup_thread_;
  std::unique_ptr<nats::AsyncPublisher> async_;  // last member: its callbacks use the ones above
};

}  // namespace eventhub::ingest
