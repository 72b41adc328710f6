#include <eventhub/rollup/compactor.hpp>

#include <eventhub/common/log.hpp>
#include <eventhub/pg/connection.hpp>
#include <eventhub/rollup/folder.hpp>

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>

namespace eventhub::rollup {

namespace {
using Clock = std::chrono::steady_clock;

double unix_seconds_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}
}  // namespace

struct Compactor::Impl {
  Impl(const common::CompactorConfig& c, const common::DatabaseConfig& d, std::chrono::milliseconds retry,
       prometheus::Registry& r)
      : config(c),
        db(d),
        retry_delay(retry),
        folded(prometheus::BuildCounter()
                   .Name("eventhub_rollup_folded_events_total")
                   .Help("Stored events folded into the analytics rollups by this process")
                   .Register(r)
                   .Add({})),
        failures(prometheus::BuildCounter()
                     .Name("eventhub_rollup_step_failures_total")
                     .Help("Compactor steps that failed and were rolled back (retried later)")
                     .Register(r)
                     .Add({})),
        step_duration(prometheus::BuildHistogram()
                          .Name("eventhub_rollup_step_duration_seconds")
                          .Help("One compactor step that folded events: read, fold, write, commit")
                          .Register(r)
                          .Add({}, prometheus::Histogram::BucketBoundaries{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                                                                            1, 2.5, 5, 10})),
        caught_up(prometheus::BuildGauge()
                      .Name("eventhub_rollup_caught_up_timestamp_seconds")
                      .Help("Unix time this compactor last found nothing left to fold (the rollups were current)")
                      .Register(r)
                      .Add({})),
        backfilling(prometheus::BuildGauge()
                        .Name("eventhub_rollup_backfilling")
                        .Help("1 while events stored before the rollup migration are still being folded")
                        .Register(r)
                        .Add({})) {}

  void run() {
    std::optional<pg::Connection> conn;
    std::optional<Folder> folder;
    int consecutive_failures = 0;
    while (!stopping) {
      try {
        if (!conn || !conn->ok()) {
          folder.reset();
          conn.reset();
          conn.emplace(db.url, static_cast<int>(db.connect_timeout.count()), "eventhub-compactor");
          folder.emplace(*conn, config.max_events_per_step);
        }
        const auto started = Clock::now();
        const StepResult r = folder->step();
        if (r.events > 0) {
          folded.Increment(static_cast<double>(r.events));
          step_duration.Observe(std::chrono::duration<double>(Clock::now() - started).count());
        }
        backfilling.Set(r.backfilling ? 1 : 0);
        if (consecutive_failures > 0) log::info("rollup compactor: folding again");
        consecutive_failures = 0;
        if (r.locked && !r.more) caught_up.Set(unix_seconds_now());
        if (r.backfilling && log_backfill_due())
          log::info("rollup compactor: folding events stored before the rollup migration", "next",
                    r.state.backfill_next_us ? std::to_string(*r.state.backfill_next_us / 1'000'000) : "done");
        if (r.more) continue;
        pause(r.locked ? config.interval : config.interval * 4);  // another process is folding
      } catch (const std::exception& e) {
        failures.Increment();
        ++consecutive_failures;
        if (consecutive_failures == 1 || consecutive_failures % 30 == 0)
          log::warn("rollup compactor: step failed; retrying", "error", e.what(), "consecutive", consecutive_failures);
        if (conn && !conn->ok()) conn.reset();
        pause(retry_delay);
      }
    }
  }

  bool log_backfill_due() {
    const auto now = Clock::now();
    if (now - last_backfill_log < std::chrono::seconds(10)) return false;
    last_backfill_log = now;
    return true;
  }

  void pause(std::chrono::milliseconds d) {
    std::unique_lock lock(mutex);
    wake.wait_for(lock, d, [this] { return stopping.load(); });
  }

  common::CompactorConfig config;
  common::DatabaseConfig db;
  std::chrono::milliseconds retry_delay;
  prometheus::Counter& folded;
  prometheus::Counter& failures;
  prometheus::Histogram& step_duration;
  prometheus::Gauge& caught_up;
  prometheus::Gauge& backfilling;
  Clock::time_point last_backfill_log{};
  std::mutex mutex;
  std::condition_variable wake;
  std::atomic<bool> stopping{false};
  std::thread thread;
};

Compactor::Compactor(const common::CompactorConfig& config, const common::DatabaseConfig& db,
                     std::chrono::milliseconds retry_delay, prometheus::Registry& registry)
    : impl_(std::make_unique<Impl>(config, db, retry_delay, registry)) {}

Compactor::~Compactor() { stop(); }

void Compactor::start() {
  if (!impl_->config.enabled || impl_->thread.joinable()) return;
  impl_->thread = std::thread([this] { impl_->run(); });
  log::info("rollup compactor started", "interval_ms", impl_->config.interval.count(), "max_events",
            impl_->config.max_events_per_step);
}

void Compactor::stop() {
  {
    std::lock_guard lock(impl_->mutex);
    impl_->stopping = true;
  }
  impl_->wake.notify_all();
  if (impl_->thread.joinable()) impl_->thread.join();
}

}  // namespace eventhub::rollup
