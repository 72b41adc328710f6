#pragma once
// The worker's decisions, as pure functions of what it knows (unit-tested without NATS or
// PostgreSQL in test/unit/worker_plan_test.cpp):
//   plan_writers  how many writer threads fetch how many messages each
//   admit         whether a fetched message can be written, or is dead-lettered and why
//   WritePlan     which admitted messages to write next, and which to ack, NAK or dead-letter after
//                 each write outcome (committed, or rejected by a data error)
// The writer (src/worker/writer.cpp) carries the decisions out.

#include <eventhub/events/event.hpp>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace eventhub::worker {

// Below this many messages per fetch, a second writer costs more in commits than it overlaps.
inline constexpr int kMinSplitFetch = 100;

struct WriterPlan {
  int writers = 1;  // writer threads, each with its own pull subscription
  int fetch = 1;    // messages each asks for per fetch
};
// fetch = min(batch_size, concurrency), writers = concurrency / fetch, so writers * fetch <=
// concurrency. When that allows one writer only and concurrency >= 2 * kMinSplitFetch, the fetch is
// split in two (two writers overlap one's fetch and validation with the other's COPY). Writers are
// capped at db_pool_max - 1 (one connection stays for the pool's probe). Every result is >= 1.
WriterPlan plan_writers(int batch_size, int concurrency, int db_pool_max);

// The verdict on one fetched message before anything is written.
struct Admission {
  std::optional<events::EventRow> row;  // set: write this row
  const char* reason = nullptr;         // otherwise the dead-letter reason (dlq::kReason*) ...
  std::string error;                    // ... and its detail
};
// More than `max_deliver` deliveries (when max_deliver > 0) -> max_deliveries; not strict JSON ->
// invalid_json; not a valid event -> invalid_event; else the typed row.
Admission admit(uint64_t delivered, int max_deliver, std::string_view payload);

// The writes of one batch of admitted messages, identified by their position in `ids` (their event
// ids, in fetch order). Rows are written sorted by id (lock order: concurrent batches cannot
// deadlock); of equal ids the first is written and the others (resends) are settled with it.
//
//   WritePlan plan(ids);
//   while (!plan.done()) { write plan.next(); then plan.committed() or plan.rejected(),
//                          or on a retryable failure nothing: next() stays and is retried }
class WritePlan {
 public:
  explicit WritePlan(const std::vector<std::string_view>& ids);

  bool done() const { return ranges_.empty(); }
  // Positions to write next, in one transaction: sorted by id, unique ids. Requires !done().
  const std::vector<std::size_t>& next() const { return ranges_.front(); }

  struct Settlement {
    std::vector<std::size_t> ack;          // stored (or already stored): ack
    std::vector<std::size_t> dead_letter;  // PostgreSQL rejects the row: dead-letter (db_rejected)
    std::vector<std::size_t> nak;          // not written: delivered again, tried alone
  };
  // next() committed: ack each of its positions, each followed by its in-batch duplicates.
  Settlement committed();
  // next() failed on a data error: a single row is dead-lettered and its in-batch duplicates NAKed;
  // a larger range is split at split_point and each half written on its own (nothing settled yet).
  Settlement rejected();

 private:
  std::deque<std::vector<std::size_t>> ranges_;
  std::vector<std::vector<std::size_t>> followers_;  // per kept position: its in-batch duplicates
};

}  // namespace eventhub::worker
