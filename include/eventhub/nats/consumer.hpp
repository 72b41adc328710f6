#pragma once
// The worker's durable pull consumer: provisioning (create, or update when it exists) and binding a
// pull subscription to it. Blocking JetStream API calls: use them on worker threads.

#include <eventhub/common/config.hpp>
#include <eventhub/nats/connection.hpp>

#include <chrono>
#include <cstdint>

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
void ensure_pull_consumer(jsCtx* js, const common::NatsConfig& config, const PullConsumerSettings& settings);

// A pull subscription bound to the existing durable consumer (never creates one). Throws Error;
// the caller destroys the subscription (natsSubscription_Destroy).
natsSubscription* bind_pull_subscription(jsCtx* js, const common::NatsConfig& config);

}  // namespace eventhub::nats
