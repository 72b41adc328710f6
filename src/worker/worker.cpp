// The Worker: wiring of its parts and their threads (see worker.hpp and docs/worker.md). The jobs
// live in their own files: subscription_loop.cpp (fetch, rebind, heartbeat), writer.cpp (one batch:
// admit, write, ack, hold), plan.cpp (the pure decisions), dead_letter_sink.cpp, settle.cpp (acks),
// consumer_stats.cpp, metrics.cpp.
#include <eventhub/worker/worker.hpp>

#include "consumer_stats.hpp"
#include "dead_letter_sink.hpp"
#include "metrics.hpp"
#include "settle.hpp"
#include "stop_signal.hpp"
#include "subscription_loop.hpp"
#include "writer.hpp"

#include <eventhub/common/log.hpp>
#include <eventhub/nats/connection.hpp>
#include <eventhub/pg/pool.hpp>
#include <eventhub/worker/batch_writer.hpp>
#include <eventhub/worker/plan.hpp>

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

namespace eventhub::worker {

struct Worker::Impl {
  Impl(const common::WorkerConfig& c, prometheus::Registry& registry, common::Health& health)
      : config(c),
        plan(plan_writers(config.batch_size, config.concurrency, config.db.pool_max)),
        metrics(registry),
        pool(make_pool(config, registry)),
        connection(std::make_unique<nats::Connection>(config.nats, "eventhub-worker")),
        provisioner(*connection, config),
        stats(*connection, config, metrics, stop, provisioner),
        settler(metrics),
        sink(*connection, config, metrics, settler) {
    if (plan.fetch < config.batch_size)
      log::warn("worker: fetching fewer than --batch-size messages at a time to stay within --concurrency",
                "batch_size", config.batch_size, "concurrency", config.concurrency, "fetch", plan.fetch, "writers",
                plan.writers);
    if (static_cast<int64_t>(plan.writers) * plan.fetch > config.max_ack_pending)
      log::warn("worker: --max-ack-pending is lower than the messages this worker holds at once", "max_ack_pending",
                config.max_ack_pending, "held", plan.writers * plan.fetch);

    connection->on_connected([this] {
      // After a (re)connect every loop binds a fresh pull subscription: pull requests in flight
      // when the server went away are lost, and a subscription can otherwise stay silent.
      ++subscriptions.generation;
      stop.wake_all();
    });
    health.add_check("worker", "nats", [this] {
      return connection->connected() ? common::CheckResult{} : common::CheckResult{false, "not connected"};
    });
    health.add_check("worker", "postgres", [this] {
      return pool->healthy() ? common::CheckResult{} : common::CheckResult{false, pool->last_error()};
    });
    health.add_check("worker", "consumer", [this] { return consumer_check(); });
  }

  ~Impl() {
    if (!stopped) stop_and_join(Clock::now() + std::chrono::seconds(5));
  }

  static std::unique_ptr<pg::Pool> make_pool(const common::WorkerConfig& config, prometheus::Registry& registry) {
    auto options = pg::PoolOptions::from(config.db, "worker");
    options.session_setup = staging_session_setup();
    return std::make_unique<pg::Pool>(options, registry);
  }

  common::CheckResult consumer_check() const {
    if (!started) return {false, "not started"};
    if (held_for_database.load() > 0) return {false, "holding messages until PostgreSQL is back"};
    if (subscriptions.bound.load() == 0)
      return {false, "no pull subscription bound to consumer " + config.nats.consumer};
    const auto stale_after =
        std::chrono::duration_cast<Clock::duration>(config.fetch_timeout * 3) + std::chrono::seconds(30);
    const auto now = Clock::now().time_since_epoch().count();
    for (const auto& heartbeat : heartbeats)
      if (now - heartbeat->load() > stale_after.count()) return {false, "a fetch loop is not making progress"};
    return {};
  }

  void start() {
    heartbeats.clear();
    for (int i = 0; i < plan.writers; ++i)
      heartbeats.push_back(std::make_unique<Heartbeat>(Clock::now().time_since_epoch().count()));
    started = true;
    const Writer::Shared writer_shared{config, *pool, metrics, settler, sink, stop, held_for_database};
    const SubscriptionLoop::Shared loop_shared{*connection, config, stop, provisioner, stats, subscriptions};
    for (int i = 0; i < plan.writers; ++i)
      threads.emplace_back([this, i, writer_shared, loop_shared] {
        Writer writer(writer_shared, i, *heartbeats[i]);
        SubscriptionLoop loop(loop_shared, i, plan.fetch, *heartbeats[i]);
        loop.run([&writer](std::vector<nats::Message>&& batch, double fetch_ms) {
          writer.process(std::move(batch), fetch_ms);
        });
      });
    stats.start();
    log::info("worker started", "writers", plan.writers, "fetch", plan.fetch, "consumer", config.nats.consumer,
              "stream", config.nats.stream);
  }

  void stop_and_join(Clock::time_point deadline) {
    stop.request(deadline);
    for (auto& t : threads)
      if (t.joinable()) t.join();
    threads.clear();
    stats.join();
    // Acks are buffered publishes: push them out before the process exits.
    if (connection->connected()) connection->flush(std::chrono::milliseconds(2000));
    stopped = true;
    log::info("worker stopped");
  }

  const common::WorkerConfig config;
  const WriterPlan plan;
  Metrics metrics;
  // Before the connection: its on_connected callback uses them until the connection is gone.
  StopSignal stop;
  Subscriptions subscriptions;
  std::unique_ptr<pg::Pool> pool;
  std::unique_ptr<nats::Connection> connection;
  ConsumerProvisioner provisioner;
  ConsumerStats stats;
  Settler settler;
  DeadLetterSink sink;
  std::atomic<int> held_for_database{0};
  std::atomic<bool> started{false};
  bool stopped = false;
  std::vector<std::unique_ptr<Heartbeat>> heartbeats;
  std::vector<std::thread> threads;
};

Worker::Worker(const common::WorkerConfig& config, prometheus::Registry& registry, common::Health& health)
    : impl_(std::make_unique<Impl>(config, registry, health)) {}

Worker::~Worker() = default;

void Worker::start() { impl_->start(); }
void Worker::stop(std::chrono::steady_clock::time_point deadline) { impl_->stop_and_join(deadline); }

}  // namespace eventhub::worker
