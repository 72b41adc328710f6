#pragma once
// Asynchronous JetStream publishing (ingest): its own JetStream context on a Connection, whose
// PubAcks arrive on cnats threads. Created by the ingest Publisher at start, destroyed at shutdown
// after complete(). Thread-safe: publish() may be called from any thread.
//
// cnats rules kept here: js_PublishMsgAsync blocks up to `stall_wait` once `max_pending` messages
// await their PubAck (callers keep their own limit below it); a published message belongs to cnats
// until its ack callback, which runs on a cnats thread and must only touch atomics or post.

#include <eventhub/nats/connection.hpp>
#include <eventhub/nats/message.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

namespace eventhub::nats {

// The outcome of one asynchronous publish, handed to the ack handler on a cnats thread. `key` is
// the published Message's key(); `subject` is valid during the call only.
struct AsyncAck {
  MessageKey key = 0;
  std::string_view subject;
  Status status;           // ok, or NATS_TIMEOUT (no PubAck within MaxWait) / the server's refusal
  bool duplicate = false;  // PubAck Duplicate: the stream already had this Nats-Msg-Id
};

class AsyncPublisher {
 public:
  struct Options {
    int64_t max_pending = 4096;                  // cnats' own in-flight limit
    std::chrono::milliseconds stall_wait{50};    // longest block in publish() at that limit
  };
  using AckHandler = std::function<void(const AsyncAck&)>;

  // Throws Error when cnats cannot create the context.
  AsyncPublisher(Connection& connection, const Options& options, AckHandler on_ack);
  ~AsyncPublisher();
  AsyncPublisher(const AsyncPublisher&) = delete;
  AsyncPublisher& operator=(const AsyncPublisher&) = delete;

  // Publishes `message` with Nats-Msg-Id `msg_id` (the stream's dedupe key) and a PubAck wait of
  // `max_wait`. On ok the ack handler runs exactly once for message.key() — possibly before this
  // returns — and `message` is empty; otherwise no handler runs and `message` is destroyed.
  Status publish(Message&& message, const char* msg_id, std::chrono::milliseconds max_wait);

  // Waits up to `max_wait` for every outstanding PubAck.
  Status complete(std::chrono::milliseconds max_wait);

  // Keys of the messages still waiting for their PubAck; they are dropped (no handler will run).
  std::vector<MessageKey> abandon_pending();

 private:
  static void handle_ack(jsCtx* js, natsMsg* msg, jsPubAck* pa, jsPubAckErr* pae, void* self);

  AckHandler on_ack_;
  jsCtx* js_ = nullptr;
  std::atomic<bool> published_{false};
};

}  // namespace eventhub::nats
