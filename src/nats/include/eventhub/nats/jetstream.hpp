#pragma once
// Blocking JetStream requests on a Connection: synchronous publish (the dead-letter sink, `dlq
// replay`), stream and consumer state (worker gauges, `dlq list`), and direct reads/deletes by
// sequence (`dlq list|replay`). Each waits up to the context's request wait (5 s) and returns a
// Status or Result; call them from worker or tool threads, never from an HTTP I/O thread.

#include <eventhub/nats/connection.hpp>
#include <eventhub/nats/message.hpp>

#include <chrono>
#include <cstdint>
#include <string>

namespace eventhub::nats {

struct PubAck {
  uint64_t sequence = 0;   // the message's sequence in the stream
  bool duplicate = false;  // the stream already had this Nats-Msg-Id within its duplicate window
};

// Publishes `message` and waits up to `max_wait` for its PubAck; the server refuses it unless the
// subject belongs to `expect_stream`.
Result<PubAck> publish_and_wait(Connection& connection, Message& message, const std::string& expect_stream,
                                std::chrono::milliseconds max_wait = std::chrono::milliseconds(5000));

struct StreamState {
  uint64_t messages = 0;
  uint64_t first_seq = 0;
  uint64_t last_seq = 0;
};
// status.stream_missing() / not_found() when the stream does not exist.
Result<StreamState> stream_state(Connection& connection, const std::string& stream);

struct ConsumerState {
  uint64_t num_pending = 0;     // in the stream, not yet delivered to the consumer
  int64_t num_ack_pending = 0;  // delivered, not yet acked
};
// status.consumer_missing() when the consumer does not exist.
Result<ConsumerState> consumer_state(Connection& connection, const std::string& stream, const std::string& consumer);

// The message stored at `seq` (read-only: nothing is consumed). status.message_missing() /
// not_found() when it was deleted or purged.
Result<Message> get_message(Connection& connection, const std::string& stream, uint64_t seq);
// Deletes the message at `seq`. status.message_missing() when it is already gone.
Status delete_message(Connection& connection, const std::string& stream, uint64_t seq);

}  // namespace eventhub::nats
