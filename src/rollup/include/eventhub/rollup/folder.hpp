#pragma once
// The one writer of the rollups: folds committed events into them, exactly once, and repairs or
// checks a range. Every step is one transaction on the caller's connection that first takes the
// fold lock (kFoldLockKey), so compactors of several workers, a backfill and a rebuild never write
// at the same time, and a step either lands whole (rows and watermark together) or not at all.
//
// Exactly once: a step folds the rows with folded_below <= tx < xmin of its snapshot (every
// transaction below xmin has ended, so no row with such a tx can appear later) and moves
// folded_below to that bound in the same commit. A redelivered event that found its row already
// stored inserted nothing, a rolled-back batch left no rows: neither is ever folded.
//
// Blocking (libpq); used by the worker's compactor thread and the `migrate` / `rollup` commands.

#include <eventhub/pg/connection.hpp>
#include <eventhub/rollup/store.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace eventhub::rollup {

struct StepResult {
  bool locked = true;         // false: another writer held the fold lock; nothing was done
  int64_t events = 0;         // events folded by this step
  bool more = false;          // there is more to fold right away
  bool backfilling = false;   // pre-migration events remain
  State state;                // the state after the step
};

struct Difference {
  std::string what;  // one line: which row and what differs
};

class Folder {
 public:
  // `conn` stays owned by the caller and must outlive the Folder; the Folder creates its staging
  // tables on it at the first write. `clock` (Unix µs) decides which hours and days are due to be
  // sealed: the system clock, or a test's.
  explicit Folder(pg::Connection& conn, int64_t max_events_per_step = 50'000,
                  std::function<int64_t()> clock = nullptr);

  // Folds what is pending: pre-migration events first (a chunk of event time), then committed new
  // events in tx order. Does nothing (locked = false) when another writer holds the lock.
  StepResult step();

  // Recomputes the rollups of the UTC days [from_us, to_us) (day-aligned) from the folded raw rows,
  // one transaction per day, waiting for the lock. `progress` is called after each day.
  void rebuild(int64_t from_us, int64_t to_us, const std::function<void(int64_t day_us, int64_t events)>& progress);

  // Compares the stored rollups of those days with a recomputation from raw rows, in one snapshot
  // per day; returns the differences found (at most `limit` described, all counted in `count`).
  std::vector<Difference> verify(int64_t from_us, int64_t to_us, std::size_t limit, int64_t& count,
                                 const std::function<void(int64_t day_us)>& progress);

 private:
  // Ids of the events' users (assigning new ones); fills RawEvent::user.
  void resolve_users(RawRows& rows, std::vector<std::pair<std::string, uint32_t>>& assigned);
  void apply(const Fold& fold, bool merge_existing, const State& state);
  // Seals the hours and days that are due (their rows made from the finer rows); true when it did.
  bool seal(State& state);
  void build_coarser(Grain grain, int64_t from_us, int64_t to_us);
  void ensure_staging();

  pg::Connection& conn_;
  int64_t max_events_;
  std::function<int64_t()> clock_;
  int64_t backfill_step_us_;
  bool staging_ready_ = false;
  std::string buffer_;
  struct TextHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  // user id -> dictionary id; ids never change, so entries stay valid (filled after commits).
  std::unordered_map<std::string, uint32_t, TextHash, std::equal_to<>> ids_;
};

}  // namespace eventhub::rollup
