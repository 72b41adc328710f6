#include "writer.hpp"

#include <eventhub/common/log.hpp>
#include <eventhub/dlq/record.hpp>
#include <eventhub/worker/batch.hpp>
#include <eventhub/worker/batch_writer.hpp>
#include <eventhub/worker/plan.hpp>

#include <algorithm>

namespace eventhub::worker {

namespace {
// Batches written the staging way after one met an already-stored eventId (see write_batch).
constexpr int kStagingStreak = 20;
}  // namespace

void Writer::process(std::vector<nats::Message>&& messages, double fetch_ms) {
  const auto started_at = Clock::now();
  const auto n = static_cast<double>(messages.size());
  s_.metrics.received.Increment(n);
  s_.metrics.inflight.Increment(n);
  s_.metrics.batch_size.Observe(n);

  // 1. Metadata, poison checks, typed rows.
  std::vector<Item> items(messages.size());
  std::vector<std::size_t> admitted;  // positions into items
  admitted.reserve(items.size());
  for (std::size_t i = 0; i < items.size(); ++i) {
    Item& item = items[i];
    item.msg = std::move(messages[i]);
    item.meta = item.msg.meta().value_or(nats::MessageMeta{});
    Admission a = admit(item.meta.delivered, s_.config.max_deliver, item.msg.data());
    if (!a.row) {
      s_.sink.dead_letter(item, a.reason, a.error);
      continue;
    }
    item.row = std::move(*a.row);
    admitted.push_back(i);
  }
  const auto validated_at = Clock::now();

  // 2. Write in eventId order; on a data error bisect to isolate the rows PostgreSQL rejects.
  std::vector<std::string_view> ids;
  ids.reserve(admitted.size());
  for (std::size_t i : admitted) ids.push_back(items[i].row.event_id);
  WritePlan plan(ids);
  const auto item_at = [&](std::size_t p) -> Item& { return items[admitted[p]]; };
  auto last_progress = Clock::now();
  bool holding = false;
  while (!plan.done()) {
    std::vector<const events::EventRow*> rows;
    rows.reserve(plan.next().size());
    for (std::size_t p : plan.next()) rows.push_back(&item_at(p).row);
    const Written written = write(rows);
    if (written.outcome == Outcome::committed) {
      const int64_t commit_ns = unix_now_ns();
      const WritePlan::Settlement settle = plan.committed();
      for (std::size_t p : settle.ack) s_.settler.ack(item_at(p), commit_ns);
      const auto acked = static_cast<int64_t>(settle.ack.size());
      s_.metrics.persisted.Increment(static_cast<double>(written.inserted));
      s_.metrics.duplicate.Increment(static_cast<double>(acked - written.inserted));
      if (holding) {
        holding = false;
        s_.held_for_database -= 1;
        log::info("worker: PostgreSQL is back; held batch written", "writer", index_);
      }
      last_progress = Clock::now();
    } else if (written.outcome == Outcome::rejected) {
      const WritePlan::Settlement settle = plan.rejected();
      for (std::size_t p : settle.dead_letter) s_.sink.dead_letter(item_at(p), dlq::kReasonDbRejected, written.error);
      for (std::size_t p : settle.nak) s_.settler.nak(item_at(p));
    } else {
      // PostgreSQL unavailable (or not our data's fault): hold the messages, never NAK-spin.
      s_.metrics.failed(kFailDbUnavailable).Increment(static_cast<double>(rows.size()));
      if (!holding) {
        holding = true;
        s_.held_for_database += 1;
        log::warn("worker: cannot write batch; holding it until PostgreSQL is back", "writer", index_, "messages",
                  rows.size(), "error", written.error);
      }
      if (!hold_until_database(items, last_progress)) break;
    }
  }
  if (holding) s_.held_for_database -= 1;

  // Whatever is still unsettled (drain deadline passed while PostgreSQL was down): NAK, so another
  // worker (or this one after restart) gets it at once. One extra delivery, never a dead letter.
  std::size_t returned = 0;
  for (auto& item : items)
    if (!item.settled) {
      s_.settler.nak(item);
      ++returned;
    }
  if (returned > 0) log::warn("worker: returned unwritten messages to the stream", "messages", returned);
  const auto finished_at = Clock::now();
  s_.metrics.batch_duration.Observe(std::chrono::duration<double>(finished_at - started_at).count());
  if (log::enabled(log::Level::debug))
    log::debug("worker: batch", "writer", index_, "messages", items.size(), "fetch_ms", fetch_ms, "validate_ms",
               std::chrono::duration<double, std::milli>(validated_at - started_at).count(), "write_ack_ms",
               std::chrono::duration<double, std::milli>(finished_at - validated_at).count());
}

// One transaction on a pooled connection. A connection whose failure was not the data's fault is
// discarded rather than returned to the pool.
Writer::Written Writer::write(const std::vector<const events::EventRow*>& rows) {
  Written result;
  try {
    auto conn = s_.pool.acquire();
    try {
      // After a batch met already-stored ids (redeliveries after a crash, resends), go the
      // staging way for a while instead of paying for a failed direct COPY each time.
      const WriteResult written = write_batch(*conn, rows, copy_buffer_, staging_batches_left_ == 0);
      result.inserted = written.inserted;
      if (written.used_staging)
        staging_batches_left_ = staging_batches_left_ == 0 ? kStagingStreak : staging_batches_left_ - 1;
    } catch (const pg::Error& e) {
      if (classify_sqlstate(e.sqlstate()) == FailureKind::retry) conn.discard();
      throw;
    }
  } catch (const pg::Error& e) {
    result.outcome = classify_sqlstate(e.sqlstate()) == FailureKind::data ? Outcome::rejected : Outcome::unavailable;
    result.error = e.what();
  }
  return result;
}

// Waits for the database, keeping the held messages alive on the server (InProgress resets their
// ack timer, and does not count as a delivery). False when the drain deadline passed.
bool Writer::hold_until_database(std::vector<Item>& items, Clock::time_point& last_progress) {
  const auto keepalive = std::max(std::chrono::milliseconds(500), s_.config.ack_wait / 3);
  for (;;) {
    beat(heartbeat_);
    if (s_.stop.past_deadline()) return false;
    if (Clock::now() - last_progress >= keepalive) {
      for (auto& item : items)
        if (!item.settled) s_.settler.keep_alive(item);
      last_progress = Clock::now();
    }
    s_.stop.nap(std::min<Clock::duration>(s_.config.db_retry_delay, keepalive));
    if (s_.pool.healthy()) return true;
  }
}

}  // namespace eventhub::worker
