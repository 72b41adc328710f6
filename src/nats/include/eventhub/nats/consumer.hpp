#pragma once
// The worker's durable pull consumer: provisioning (create, or update when it exists), and
// PullSubscription, a subscription bound to it that fetches batches. Blocking JetStream calls: use
// them on worker threads.

#include <eventhub/common/config.hpp>
#include <eventhub/nats/connection.hpp>
#include <eventhub/nats/message.hpp>

#include <chrono>
#include <cstdint>
#include <vector>

namespace eventhub::nats {

struct PullConsumerSettings {
  std::chrono::milliseconds ack_wait{60'000};
  int64_t max_ack_pending = 20'000;
  // Server-side redelivery limit. -1 = unlimited: the worker decides what is poison from the delivery
  // count in each message's metadata and dead-letters it itself (PubAck first, then Term), so the
  // server never drops a message on its own.
  int64_t max_deliver = -1;
  int64_t max_request_batch = 0;  // 0 = no limit
};

// Creates the durable consumer `config.consumer` on `config.stream` (filter `<subject_prefix>.>`,
// explicit ack, deliver all) or updates the settings of an existing one. Throws Error.
void ensure_pull_consumer(Connection& connection, const common::NatsConfig& config,
                          const PullConsumerSettings& settings);

// A pull subscription bound to the existing durable consumer (never creates one). Created and used
// by one thread; the messages it fetched must be settled (or destroyed) before it is rebound or
// destroyed, since cnats acks through the subscription.
class PullSubscription {
 public:
  PullSubscription(Connection& connection, const common::NatsConfig& config);
  ~PullSubscription();
  PullSubscription(const PullSubscription&) = delete;
  PullSubscription& operator=(const PullSubscription&) = delete;

  // Binds a fresh subscription (dropping the current one, if any).
  Status bind();
  // Drops the subscription (the durable consumer stays on the server).
  void unbind();
  bool bound() const { return sub_ != nullptr; }

  struct Batch {
    Status status;                  // not ok: the fetch failed (and `messages` is empty)
    std::vector<Message> messages;  // empty and ok: nothing arrived within the timeout
  };
  // Up to `max` messages, waiting at most `timeout`. NATS_TIMEOUT is an empty batch, not an error.
  Batch fetch(int max, std::chrono::milliseconds timeout);

 private:
  Connection& connection_;
  common::NatsConfig config_;
  natsSubscription* sub_ = nullptr;
};

// The raw forms, for tests that drive cnats themselves on their own JetStream context.
void ensure_pull_consumer(jsCtx* js, const common::NatsConfig& config, const PullConsumerSettings& settings);
// Throws Error; the caller destroys the subscription (natsSubscription_Destroy).
natsSubscription* bind_pull_subscription(jsCtx* js, const common::NatsConfig& config);

}  // namespace eventhub::nats
