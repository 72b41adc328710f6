#include <eventhub/worker/worker.hpp>

#include <eventhub/common/log.hpp>
#include <eventhub/dlq/record.hpp>
#include <eventhub/events/event.hpp>
#include <eventhub/nats/connection.hpp>
#include <eventhub/nats/consumer.hpp>
#include <eventhub/pg/pool.hpp>
#include <eventhub/worker/batch.hpp>
#include <eventhub/worker/batch_writer.hpp>

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

namespace eventhub::worker {

namespace {

using Clock = std::chrono::steady_clock;

// Batches written the staging way after one met an already-stored eventId (see write_batch).
constexpr int kStagingStreak = 20;

int64_t unix_now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

struct MsgDeleter {
  void operator()(natsMsg* m) const { natsMsg_Destroy(m); }
};
using MsgPtr = std::unique_ptr<natsMsg, MsgDeleter>;

// Label values of eventhub_worker_messages_failed_total{reason}.
constexpr const char* kFailDbUnavailable = "db_unavailable";   // batch held and retried (per message, per attempt)
constexpr const char* kFailDlqUnavailable = "dlq_unavailable"; // dead letter not stored: NAKed for later

struct Metrics {
  explicit Metrics(prometheus::Registry& r)
      : received(prometheus::BuildCounter()
                     .Name("eventhub_worker_messages_received_total")
                     .Help("Messages fetched from the event stream")
                     .Register(r)
                     .Add({})),
        persisted(prometheus::BuildCounter()
                      .Name("eventhub_worker_messages_persisted_total")
                      .Help("Messages whose event was inserted (new row), acked after COMMIT")
                      .Register(r)
                      .Add({})),
        duplicate(prometheus::BuildCounter()
                      .Name("eventhub_worker_messages_duplicate_total")
                      .Help("Messages whose eventId was already stored (or repeated in the batch), acked")
                      .Register(r)
                      .Add({})),
        failed_family(prometheus::BuildCounter()
                          .Name("eventhub_worker_messages_failed_total")
                          .Help("Messages that could not be stored at an attempt, by reason")
                          .Register(r)),
        dead_family(prometheus::BuildCounter()
                        .Name("eventhub_worker_messages_dead_lettered_total")
                        .Help("Messages published to the dead-letter stream and terminated, by reason")
                        .Register(r)),
        batch_duration(prometheus::BuildHistogram()
                           .Name("eventhub_worker_batch_duration_seconds")
                           .Help("Fetched batch to last ack: validation, transaction(s), acks")
                           .Register(r)
                           .Add({}, prometheus::Histogram::BucketBoundaries{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                                                                             1, 2.5, 5, 10, 30, 60})),
        batch_size(prometheus::BuildHistogram()
                       .Name("eventhub_worker_batch_size")
                       .Help("Messages per fetched batch")
                       .Register(r)
                       .Add({}, prometheus::Histogram::BucketBoundaries{1, 10, 50, 100, 250, 500, 1000, 2500, 5000,
                                                                         10000})),
        inflight(prometheus::BuildGauge()
                     .Name("eventhub_worker_inflight_messages")
                     .Help("Messages fetched and not yet acked, terminated or NAKed")
                     .Register(r)
                     .Add({})),
        pending(prometheus::BuildGauge()
                    .Name("eventhub_worker_consumer_pending")
                    .Help("Messages in the stream not yet delivered to the consumer (consumer info NumPending)")
                    .Register(r)
                    .Add({})),
        ack_pending(prometheus::BuildGauge()
                        .Name("eventhub_worker_consumer_ack_pending")
                        .Help("Messages delivered and not yet acked (consumer info NumAckPending)")
                        .Register(r)
                        .Add({})),
        lag(prometheus::BuildHistogram()
                .Name("eventhub_worker_end_to_end_lag_seconds")
                .Help("NATS publish time to COMMIT of the event's row")
                .Register(r)
                .Add({}, prometheus::Histogram::BucketBoundaries{0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
                                                                  300, 900, 3600})),
        dlq_messages(prometheus::BuildGauge()
                         .Name("eventhub_dlq_messages")
                         .Help("Messages in the dead-letter stream")
                         .Register(r)
                         .Add({})) {
    for (const char* reason : {dlq::kReasonInvalidJson, dlq::kReasonInvalidEvent, dlq::kReasonDbRejected,
                               dlq::kReasonMaxDeliveries, kFailDbUnavailable, kFailDlqUnavailable})
      failed_family.Add({{"reason", reason}});
    for (const char* reason :
         {dlq::kReasonInvalidJson, dlq::kReasonInvalidEvent, dlq::kReasonDbRejected, dlq::kReasonMaxDeliveries})
      dead_family.Add({{"reason", reason}});
  }
  prometheus::Counter& failed(const std::string& reason) { return failed_family.Add({{"reason", reason}}); }
  prometheus::Counter& dead_lettered(const std::string& reason) { return dead_family.Add({{"reason", reason}}); }

  prometheus::Counter& received;
  prometheus::Counter& persisted;
  prometheus::Counter& duplicate;
  prometheus::Family<prometheus::Counter>& failed_family;
  prometheus::Family<prometheus::Counter>& dead_family;
  prometheus::Histogram& batch_duration;
  prometheus::Histogram& batch_size;
  prometheus::Gauge& inflight;
  prometheus::Gauge& pending;
  prometheus::Gauge& ack_pending;
  prometheus::Histogram& lag;
  prometheus::Gauge& dlq_messages;
};

// One fetched message and what the worker learnt about it.
struct Item {
  MsgPtr msg;
  uint64_t delivered = 1;
  uint64_t stream_seq = 0;
  int64_t published_ns = 0;
  bool settled = false;  // acked, terminated or NAKed
  events::EventRow row;
};

}  // namespace

// Below this many messages per fetch, a second writer costs more in commits than it overlaps.
constexpr int kMinSplitFetch = 100;

struct Worker::Impl {
  Impl(const common::WorkerConfig& c, prometheus::Registry& registry, common::Health& health)
      : config(c), metrics(registry) {
    fetch = std::max(1, std::min(config.batch_size, config.concurrency));
    int by_concurrency = std::max(1, config.concurrency / fetch);
    // Two writers overlap one's fetch and validation with the other's COPY; when --concurrency
    // allows only one fetch of --batch-size, split it in two rather than run a single writer.
    if (by_concurrency == 1 && config.concurrency >= 2 * kMinSplitFetch) {
      by_concurrency = 2;
      fetch = config.concurrency / 2;
    }
    writers_wanted = std::max(1, std::min(by_concurrency, std::max(1, config.db.pool_max - 1)));
    if (fetch < config.batch_size)
      log::warn("worker: fetching fewer than --batch-size messages at a time to stay within --concurrency",
                "batch_size", config.batch_size, "concurrency", config.concurrency, "fetch", fetch,
                "writers", writers_wanted);
    if (static_cast<int64_t>(writers_wanted) * fetch > config.max_ack_pending)
      log::warn("worker: --max-ack-pending is lower than the messages this worker holds at once", "max_ack_pending",
                config.max_ack_pending, "held", writers_wanted * fetch);

    auto pool_options = pg::PoolOptions::from(config.db, "worker");
    pool_options.session_setup = staging_session_setup();
    pool = std::make_unique<pg::Pool>(pool_options, registry);
    nats = std::make_unique<nats::Connection>(config.nats, "eventhub-worker");
    nats->on_connected([this] {
      // After a (re)connect every writer binds a fresh pull subscription: pull requests in flight
      // when the server went away are lost, and a subscription can otherwise stay silent.
      ++generation;
      wake.notify_all();
    });

    health.add_check("worker", "nats", [this] {
      return nats->connected() ? common::CheckResult{} : common::CheckResult{false, "not connected"};
    });
    health.add_check("worker", "postgres", [this] {
      return pool->healthy() ? common::CheckResult{} : common::CheckResult{false, pool->last_error()};
    });
    health.add_check("worker", "consumer", [this] { return consumer_check(); });
  }

  ~Impl() {
    if (!stopped) stop(Clock::now() + std::chrono::seconds(5));
  }

  common::CheckResult consumer_check() const {
    if (!started) return {false, "not started"};
    if (held_for_database.load() > 0) return {false, "holding messages until PostgreSQL is back"};
    if (bound.load() == 0) return {false, "no pull subscription bound to consumer " + config.nats.consumer};
    const auto stale_after = std::chrono::duration_cast<Clock::duration>(config.fetch_timeout * 3) + std::chrono::seconds(30);
    const auto now = Clock::now().time_since_epoch().count();
    for (const auto& beat : heartbeats)
      if (now - beat->load() > stale_after.count()) return {false, "a fetch loop is not making progress"};
    return {};
  }

  void start() {
    heartbeats.clear();
    for (int i = 0; i < writers_wanted; ++i)
      heartbeats.push_back(std::make_unique<std::atomic<Clock::rep>>(Clock::now().time_since_epoch().count()));
    started = true;
    for (int i = 0; i < writers_wanted; ++i) writers.emplace_back([this, i] { writer_loop(i); });
    stats_thread = std::thread([this] { stats_loop(); });
    log::info("worker started", "writers", writers_wanted, "fetch", fetch, "consumer", config.nats.consumer,
              "stream", config.nats.stream);
  }

  void stop(Clock::time_point deadline) {
    {
      std::lock_guard lock(wake_mutex);
      stop_deadline = deadline;
      stopping = true;
    }
    wake.notify_all();
    for (auto& t : writers)
      if (t.joinable()) t.join();
    writers.clear();
    if (stats_thread.joinable()) stats_thread.join();
    // Acks are buffered publishes: push them out before the process exits.
    if (nats->connected()) natsConnection_FlushTimeout(nats->raw(), 2000);
    stopped = true;
    log::info("worker stopped");
  }

  // Sleeps up to `d`, returning early when stopping (true = stop requested).
  bool pause(std::chrono::milliseconds d) {
    std::unique_lock lock(wake_mutex);
    wake.wait_for(lock, d, [this] { return stopping.load(); });
    return stopping;
  }

  bool past_deadline() {
    std::lock_guard lock(wake_mutex);
    return stopping && Clock::now() >= stop_deadline;
  }

  // ---- consumer provisioning -------------------------------------------------------------------

  bool ensure_provisioned() {
    if (provisioned) return true;
    std::lock_guard lock(provision_mutex);
    if (provisioned) return true;
    try {
      nats::ensure_streams(nats->js(), config.nats);
      nats::PullConsumerSettings settings;
      settings.ack_wait = config.ack_wait;
      settings.max_ack_pending = config.max_ack_pending;
      settings.max_deliver = -1;
      nats::ensure_pull_consumer(nats->js(), config.nats, settings);
      provisioned = true;
    } catch (const std::exception& e) {
      log::warn("worker: cannot provision the consumer yet", "error", e.what());
    }
    return provisioned;
  }

  // ---- the fetch loop --------------------------------------------------------------------------

  void writer_loop(int index) {
    natsSubscription* sub = nullptr;
    uint64_t bound_generation = 0;
    int consecutive_errors = 0;
    int empty_streak = 0;
    std::string copy_buffer;
    int staging_batches_left = 0;
    auto unbind = [&] {
      if (sub) {
        natsSubscription_Destroy(sub);  // not Unsubscribe: that would delete nothing for a bound durable, but be safe
        sub = nullptr;
        --bound;
      }
    };
    while (!stopping) {
      heartbeats[index]->store(Clock::now().time_since_epoch().count());
      if (!nats->connected()) {
        pause(std::chrono::milliseconds(200));
        continue;
      }
      if (!ensure_provisioned()) {
        pause(config.db_retry_delay);
        continue;
      }
      if (sub == nullptr || bound_generation != generation.load()) {
        unbind();
        try {
          bound_generation = generation.load();
          sub = nats::bind_pull_subscription(nats->js(), config.nats);
          ++bound;
          empty_streak = 0;
        } catch (const nats::Error& e) {
          log::warn("worker: cannot bind the pull subscription", "writer", index, "error", e.what());
          if (e.js_code() == JSConsumerNotFoundErr || e.js_code() == JSStreamNotFoundErr) provisioned = false;
          pause(std::chrono::milliseconds(500));
          continue;
        }
      }
      natsMsgList list{};
      jsErrCode jerr = static_cast<jsErrCode>(0);
      const auto fetch_started = Clock::now();
      const natsStatus s = natsSubscription_Fetch(&list, sub, fetch, config.fetch_timeout.count(), &jerr);
      const double fetch_ms = std::chrono::duration<double, std::milli>(Clock::now() - fetch_started).count();
      if (s == NATS_TIMEOUT || (s == NATS_OK && list.Count == 0)) {
        natsMsgList_Destroy(&list);
        consecutive_errors = 0;
        // A consumer with messages pending that keeps answering nothing is the known "stuck pull
        // subscription" after a server restart: rebind (cheap, harmless when it was a false alarm).
        if (++empty_streak >= 5 && pending_seen.load() > 0 && ack_pending_seen.load() < config.max_ack_pending) {
          log::warn("worker: fetches return nothing while the consumer has pending messages; rebinding", "writer",
                    index, "pending", pending_seen.load());
          unbind();
        }
        continue;
      }
      if (s != NATS_OK) {
        natsMsgList_Destroy(&list);
        ++consecutive_errors;
        if (consecutive_errors == 1 || consecutive_errors % 20 == 0)
          log::warn("worker: fetch failed", "writer", index, "error", nats::describe("fetch", s, jerr),
                    "consecutive", consecutive_errors);
        if (jerr == JSConsumerNotFoundErr || jerr == JSStreamNotFoundErr || s == NATS_NOT_FOUND) provisioned = false;
        if (consecutive_errors >= 3 || !provisioned || s == NATS_CONNECTION_CLOSED || s == NATS_INVALID_SUBSCRIPTION)
          unbind();
        pause(std::chrono::milliseconds(std::min(2000, 100 * consecutive_errors)));
        continue;
      }
      consecutive_errors = 0;
      empty_streak = 0;
      std::vector<Item> items(static_cast<std::size_t>(list.Count));
      for (int i = 0; i < list.Count; ++i) {
        items[i].msg.reset(list.Msgs[i]);
        list.Msgs[i] = nullptr;
      }
      natsMsgList_Destroy(&list);
      process_batch(index, items, copy_buffer, fetch_ms, staging_batches_left);
    }
    unbind();
  }

  // ---- one batch -------------------------------------------------------------------------------

  void settle_ack(Item& item, int64_t commit_ns) {
    natsMsg_Ack(item.msg.get(), nullptr);
    item.settled = true;
    metrics.inflight.Decrement();
    if (item.published_ns > 0) metrics.lag.Observe(static_cast<double>(commit_ns - item.published_ns) / 1e9);
  }

  void settle_nak(Item& item) {
    natsMsg_Nak(item.msg.get(), nullptr);
    item.settled = true;
    metrics.inflight.Decrement();
  }

  // Publishes the dead letter, waits for its PubAck, then terminates the original. When the DLQ
  // is unreachable the original is NAKed with a delay instead (it comes back; nothing is lost).
  void dead_letter(Item& item, const char* reason, const std::string& error) {
    metrics.failed(reason).Increment();
    dlq::DeadLetterInfo info;
    info.reason = reason;
    info.error = error;
    info.original_subject = natsMsg_GetSubject(item.msg.get());
    info.original_stream = config.nats.stream;
    info.original_stream_seq = item.stream_seq;
    info.delivery_count = item.delivered;
    info.dead_lettered_at_ns = unix_now_ns();
    natsStatus s = NATS_ERR;
    jsErrCode jerr = static_cast<jsErrCode>(0);
    try {
      natsMsg* letter = dlq::make_dead_letter(item.msg.get(), config.nats.dlq_subject_prefix, info);
      jsPubOptions po;
      jsPubOptions_Init(&po);
      po.MaxWait = 5000;
      po.ExpectStream = config.nats.dlq_stream.c_str();
      jsPubAck* ack = nullptr;
      s = js_PublishMsg(&ack, nats->js(), letter, &po, &jerr);
      if (ack) jsPubAck_Destroy(ack);
      natsMsg_Destroy(letter);
    } catch (const std::exception& e) {
      log::error("worker: cannot build a dead letter", "error", e.what());
    }
    if (s == NATS_OK) {
      natsMsg_Term(item.msg.get(), nullptr);
      item.settled = true;
      metrics.inflight.Decrement();
      metrics.dead_lettered(reason).Increment();
      log::warn("worker: message dead-lettered", "reason", reason, "stream_seq", item.stream_seq, "deliveries",
                item.delivered, "error", dlq::sanitize_line(error, 300));
    } else {
      metrics.failed(kFailDlqUnavailable).Increment();
      log::error("worker: dead-letter publish failed; message NAKed for a later attempt", "reason", reason,
                 "stream_seq", item.stream_seq, "error", nats::describe("publish dead letter", s, jerr));
      natsMsg_NakWithDelay(item.msg.get(), config.db_retry_delay.count(), nullptr);
      item.settled = true;
      metrics.inflight.Decrement();
    }
  }

  void process_batch(int index, std::vector<Item>& items, std::string& copy_buffer, double fetch_ms,
                     int& staging_batches_left) {
    const auto started_at = Clock::now();
    const auto n = static_cast<double>(items.size());
    metrics.received.Increment(n);
    metrics.inflight.Increment(n);
    metrics.batch_size.Observe(n);

    // 1. Metadata, poison checks, typed rows.
    std::vector<std::size_t> valid;
    valid.reserve(items.size());
    for (std::size_t i = 0; i < items.size(); ++i) {
      Item& item = items[i];
      jsMsgMetaData* meta = nullptr;
      if (natsMsg_GetMetaData(&meta, item.msg.get()) == NATS_OK) {
        item.delivered = meta->NumDelivered;
        item.stream_seq = meta->Sequence.Stream;
        item.published_ns = meta->Timestamp;
        jsMsgMetaData_Destroy(meta);
      }
      if (config.max_deliver > 0 && item.delivered > static_cast<uint64_t>(config.max_deliver)) {
        dead_letter(item, dlq::kReasonMaxDeliveries,
                    "delivered " + std::to_string(item.delivered) + " times (limit " +
                        std::to_string(config.max_deliver) + ")");
        continue;
      }
      const std::string_view payload(natsMsg_GetData(item.msg.get()),
                                     static_cast<std::size_t>(natsMsg_GetDataLength(item.msg.get())));
      auto parsed = events::parse_strict(payload);
      if (!parsed.value) {
        dead_letter(item, dlq::kReasonInvalidJson, parsed.error);
        continue;
      }
      auto errors = events::validate_event(*parsed.value);
      if (errors.empty() && !parsed.value->is_object()) errors.push_back("$: expected an event object");
      if (!errors.empty()) {
        std::string text;
        for (const auto& e : errors) text += (text.empty() ? "" : "; ") + e;
        dead_letter(item, dlq::kReasonInvalidEvent, text);
        continue;
      }
      try {
        item.row = events::to_row(parsed.value->as_object());
      } catch (const std::exception& e) {
        dead_letter(item, dlq::kReasonInvalidEvent, e.what());
        continue;
      }
      valid.push_back(i);
    }

    const auto validated_at = Clock::now();
    // 2. Sort by eventId (lock order: concurrent batches cannot deadlock), first wins in the batch.
    std::vector<std::string_view> ids;
    ids.reserve(valid.size());
    for (std::size_t v : valid) ids.push_back(items[v].row.event_id);
    const BatchOrder order = order_and_dedupe(ids);
    // followers[k] = positions (into `valid`) of the in-batch duplicates of kept position k.
    std::vector<std::vector<std::size_t>> followers(valid.size());
    for (std::size_t p = 0; p < valid.size(); ++p)
      if (order.duplicate_of[p] != p) followers[order.duplicate_of[p]].push_back(p);

    // 3. Write; on a data error split the range to isolate the rows PostgreSQL rejects.
    std::deque<std::vector<std::size_t>> ranges;  // positions into `valid`
    if (!order.keep.empty()) ranges.push_back(order.keep);
    auto last_progress = Clock::now();
    bool holding = false;
    while (!ranges.empty()) {
      std::vector<std::size_t> range = std::move(ranges.front());
      ranges.pop_front();
      std::vector<const events::EventRow*> rows;
      rows.reserve(range.size());
      for (std::size_t p : range) rows.push_back(&items[valid[p]].row);
      try {
        int64_t inserted = 0;
        {
          auto conn = pool->acquire();
          try {
            // After a batch met already-stored ids (redeliveries after a crash, resends), go the
            // staging way for a while instead of paying for a failed direct COPY each time.
            const WriteResult written = write_batch(*conn, rows, copy_buffer, staging_batches_left == 0);
            inserted = written.inserted;
            if (written.used_staging)
              staging_batches_left = staging_batches_left == 0 ? kStagingStreak : staging_batches_left - 1;
          } catch (const pg::Error& e) {
            if (classify_sqlstate(e.sqlstate()) == FailureKind::retry) conn.discard();
            throw;
          }
        }
        const int64_t commit_ns = unix_now_ns();
        int64_t acked = 0;
        for (std::size_t p : range) {
          settle_ack(items[valid[p]], commit_ns);
          ++acked;
          for (std::size_t f : followers[p]) {
            settle_ack(items[valid[f]], commit_ns);
            ++acked;
          }
        }
        metrics.persisted.Increment(static_cast<double>(inserted));
        metrics.duplicate.Increment(static_cast<double>(acked - inserted));
        if (holding) {
          holding = false;
          held_for_database -= 1;
          log::info("worker: PostgreSQL is back; held batch written", "writer", index);
        }
        last_progress = Clock::now();
      } catch (const pg::Error& e) {
        if (classify_sqlstate(e.sqlstate()) == FailureKind::data) {
          if (range.size() == 1) {
            const std::size_t p = range.front();
            dead_letter(items[valid[p]], dlq::kReasonDbRejected, e.what());
            // Other versions of the same eventId in this batch: let them come back and be tried alone.
            for (std::size_t f : followers[p]) settle_nak(items[valid[f]]);
          } else {
            const std::size_t mid = range.size() / 2;
            ranges.emplace_front(range.begin() + static_cast<std::ptrdiff_t>(mid), range.end());
            ranges.emplace_front(range.begin(), range.begin() + static_cast<std::ptrdiff_t>(mid));
          }
          continue;
        }
        // PostgreSQL unavailable (or not our data's fault): hold the messages, never NAK-spin.
        metrics.failed(kFailDbUnavailable).Increment(static_cast<double>(rows.size()));
        if (!holding) {
          holding = true;
          held_for_database += 1;
          log::warn("worker: cannot write batch; holding it until PostgreSQL is back", "writer", index, "messages",
                    rows.size(), "error", e.what());
        }
        ranges.push_front(std::move(range));
        if (!hold_until_database(index, items, last_progress)) break;
      }
    }
    if (holding) held_for_database -= 1;

    // Whatever is still unsettled (drain deadline passed while PostgreSQL was down): NAK, so another
    // worker (or this one after restart) gets it at once. One extra delivery, never a dead letter.
    std::size_t returned = 0;
    for (auto& item : items)
      if (!item.settled) {
        settle_nak(item);
        ++returned;
      }
    if (returned > 0) log::warn("worker: returned unwritten messages to the stream", "messages", returned);
    const auto finished_at = Clock::now();
    metrics.batch_duration.Observe(std::chrono::duration<double>(finished_at - started_at).count());
    if (log::enabled(log::Level::debug))
      log::debug("worker: batch", "writer", index, "messages", items.size(), "fetch_ms", fetch_ms, "validate_ms",
                 std::chrono::duration<double, std::milli>(validated_at - started_at).count(), "write_ack_ms",
                 std::chrono::duration<double, std::milli>(finished_at - validated_at).count());
  }

  // Waits for the database, keeping the held messages alive on the server (InProgress resets their
  // ack timer, and does not count as a delivery). False when the drain deadline passed.
  bool hold_until_database(int index, std::vector<Item>& items, Clock::time_point& last_progress) {
    const auto keepalive = std::max(std::chrono::milliseconds(500), config.ack_wait / 3);
    for (;;) {
      heartbeats[index]->store(Clock::now().time_since_epoch().count());
      if (past_deadline()) return false;
      if (Clock::now() - last_progress >= keepalive) {
        for (auto& item : items)
          if (!item.settled) natsMsg_InProgress(item.msg.get(), nullptr);
        last_progress = Clock::now();
      }
      {
        std::unique_lock lock(wake_mutex);
        const auto wait = std::min<Clock::duration>(config.db_retry_delay, keepalive);
        const auto until = std::min(Clock::now() + wait, stopping ? stop_deadline : Clock::time_point::max());
        wake.wait_until(lock, until);
      }
      if (pool->healthy()) return true;
    }
  }

  // ---- stats -----------------------------------------------------------------------------------

  void stats_loop() {
    while (!pause(config.stats_interval)) {
      if (!nats->connected()) continue;
      jsErrCode jerr = static_cast<jsErrCode>(0);
      jsConsumerInfo* ci = nullptr;
      if (js_GetConsumerInfo(&ci, nats->js(), config.nats.stream.c_str(), config.nats.consumer.c_str(), nullptr,
                             &jerr) == NATS_OK) {
        pending_seen = static_cast<int64_t>(ci->NumPending);
        ack_pending_seen = ci->NumAckPending;
        metrics.pending.Set(static_cast<double>(ci->NumPending));
        metrics.ack_pending.Set(static_cast<double>(ci->NumAckPending));
        jsConsumerInfo_Destroy(ci);
      } else if (jerr == JSConsumerNotFoundErr) {
        provisioned = false;  // deleted behind our back: writers recreate it
      }
      jsStreamInfo* si = nullptr;
      if (js_GetStreamInfo(&si, nats->js(), config.nats.dlq_stream.c_str(), nullptr, nullptr) == NATS_OK) {
        metrics.dlq_messages.Set(static_cast<double>(si->State.Msgs));
        jsStreamInfo_Destroy(si);
      }
    }
  }

  common::WorkerConfig config;
  Metrics metrics;
  int fetch = 1;
  int writers_wanted = 1;
  std::unique_ptr<pg::Pool> pool;
  std::unique_ptr<nats::Connection> nats;

  std::mutex wake_mutex;
  std::condition_variable wake;
  std::atomic<bool> stopping{false};
  Clock::time_point stop_deadline = Clock::time_point::max();
  bool stopped = false;
  std::atomic<bool> started{false};

  std::mutex provision_mutex;
  std::atomic<bool> provisioned{false};
  std::atomic<uint64_t> generation{0};
  std::atomic<int> bound{0};
  std::atomic<int> held_for_database{0};
  std::atomic<int64_t> pending_seen{0};
  std::atomic<int64_t> ack_pending_seen{0};
  std::vector<std::unique_ptr<std::atomic<Clock::rep>>> heartbeats;
  std::vector<std::thread> writers;
  std::thread stats_thread;
};

Worker::Worker(const common::WorkerConfig& config, prometheus::Registry& registry, common::Health& health)
    : impl_(std::make_unique<Impl>(config, registry, health)) {}

Worker::~Worker() = default;

void Worker::start() { impl_->start(); }
void Worker::stop(std::chrono::steady_clock::time_point deadline) { impl_->stop(deadline); }
int Worker::writer_count() const { return impl_->writers_wanted; }
int Worker::fetch_size() const { return impl_->fetch; }

}  // namespace eventhub::worker
