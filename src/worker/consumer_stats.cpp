#include "consumer_stats.hpp"

#include <eventhub/nats/jetstream.hpp>

namespace eventhub::worker {

void ConsumerStats::run() {
  while (!stop_.pause(config_.stats_interval)) {
    if (!connection_.connected()) continue;
    const auto consumer = nats::consumer_state(connection_, config_.nats.stream, config_.nats.consumer);
    if (consumer.ok()) {
      pending_ = static_cast<int64_t>(consumer.value.num_pending);
      ack_pending_ = consumer.value.num_ack_pending;
      metrics_.pending.Set(static_cast<double>(consumer.value.num_pending));
      metrics_.ack_pending.Set(static_cast<double>(consumer.value.num_ack_pending));
    } else if (consumer.status.consumer_missing()) {
      provisioner_.invalidate();  // deleted behind our back: the loops recreate it
    }
    const auto dlq = nats::stream_state(connection_, config_.nats.dlq_stream);
    if (dlq.ok()) metrics_.dlq_messages.Set(static_cast<double>(dlq.value.messages));
  }
}

}  // namespace eventhub::worker
