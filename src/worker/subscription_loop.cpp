#include "subscription_loop.hpp"

#include "consumer_stats.hpp"

#include <eventhub/common/log.hpp>
#include <eventhub/nats/consumer.hpp>

#include <algorithm>

namespace eventhub::worker {

bool ConsumerProvisioner::ensure() {
  if (provisioned_) return true;
  std::lock_guard lock(mutex_);
  if (provisioned_) return true;
  try {
    nats::ensure_streams(connection_, config_.nats);
    nats::PullConsumerSettings settings;
    settings.ack_wait = config_.ack_wait;
    settings.max_ack_pending = config_.max_ack_pending;
    settings.max_deliver = -1;
    nats::ensure_pull_consumer(connection_, config_.nats, settings);
    provisioned_ = true;
  } catch (const std::exception& e) {
    log::warn("worker: cannot provision the consumer yet", "error", e.what());
  }
  return provisioned_;
}

void SubscriptionLoop::run(const Process& process) {
  const common::WorkerConfig& config = s_.config;
  nats::PullSubscription sub(s_.connection, config.nats);
  uint64_t bound_generation = 0;
  int consecutive_errors = 0;
  int empty_streak = 0;
  auto unbind = [&] {
    if (sub.bound()) {
      sub.unbind();
      --s_.subscriptions.bound;
    }
  };
  while (!s_.stop.requested()) {
    beat(heartbeat_);
    if (!s_.connection.connected()) {
      s_.stop.pause(std::chrono::milliseconds(200));
      continue;
    }
    if (!s_.provisioner.ensure()) {
      s_.stop.pause(config.db_retry_delay);
      continue;
    }
    if (!sub.bound() || bound_generation != s_.subscriptions.generation.load()) {
      unbind();
      bound_generation = s_.subscriptions.generation.load();
      const nats::Status bound = sub.bind();
      if (!bound.ok()) {
        log::warn("worker: cannot bind the pull subscription", "writer", index_, "error",
                  bound.describe("pull subscribe to consumer " + config.nats.consumer));
        if (bound.consumer_missing() || bound.stream_missing()) s_.provisioner.invalidate();
        s_.stop.pause(std::chrono::milliseconds(500));
        continue;
      }
      ++s_.subscriptions.bound;
      empty_streak = 0;
    }
    const auto fetch_started = Clock::now();
    nats::PullSubscription::Batch batch = sub.fetch(fetch_, config.fetch_timeout);
    const double fetch_ms = std::chrono::duration<double, std::milli>(Clock::now() - fetch_started).count();
    if (batch.status.ok() && batch.messages.empty()) {
      consecutive_errors = 0;
      // A consumer with messages pending that keeps answering nothing is the known "stuck pull
      // subscription" after a server restart: rebind (cheap, harmless when it was a false alarm).
      if (++empty_streak >= 5 && s_.stats.pending() > 0 && s_.stats.ack_pending() < config.max_ack_pending) {
        log::warn("worker: fetches return nothing while the consumer has pending messages; rebinding", "writer",
                  index_, "pending", s_.stats.pending());
        unbind();
      }
      continue;
    }
    if (!batch.status.ok()) {
      const nats::Status& failed = batch.status;
      ++consecutive_errors;
      if (consecutive_errors == 1 || consecutive_errors % 20 == 0)
        log::warn("worker: fetch failed", "writer", index_, "error", failed.describe("fetch"), "consecutive",
                  consecutive_errors);
      if (failed.consumer_missing() || failed.stream_missing() || failed.not_found()) s_.provisioner.invalidate();
      if (consecutive_errors >= 3 || !s_.provisioner.provisioned() || failed.connection_closed() ||
          failed.invalid_subscription())
        unbind();
      s_.stop.pause(std::chrono::milliseconds(std::min(2000, 100 * consecutive_errors)));
      continue;
    }
    consecutive_errors = 0;
    empty_streak = 0;
    process(std::move(batch.messages), fetch_ms);
  }
  unbind();
}

}  // namespace eventhub::worker
