#pragma once
// What one analytics request reads, inside one REPEATABLE READ READ ONLY transaction: the rollup
// rows of the whole buckets in its window, plus the raw rows the rollups do not hold (the edges of
// the window shorter than a minute, and the events committed since the last fold). Both come from
// the same snapshot as the fold watermark, so every event in the window is counted exactly once.
// Blocking (libpq): runs on the analytics query pool.

#include <eventhub/pg/connection.hpp>
#include <eventhub/rollup/fold.hpp>
#include <eventhub/rollup/store.hpp>

#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace eventhub::analytics {

using LevelData = std::map<rollup::Level, rollup::BucketData>;

class Snapshot {
 public:
  Snapshot(pg::Connection& conn, const rollup::State& state, int64_t from_us, int64_t to_us);

  // The events of the window at each of `levels` (rows of rollup_buckets with `columns`, plus raw
  // rows), merged per group: one group for the whole window when `groups` is nullopt, else one per
  // bucket of that grain from the one containing `from` (timeseries points).
  std::vector<LevelData> aggregate(const std::vector<rollup::Level>& levels, unsigned columns,
                                   std::optional<rollup::Grain> groups);

  // The same over the whole window (one group).
  LevelData aggregate_window(const std::vector<rollup::Level>& levels, unsigned columns) {
    return std::move(aggregate(levels, columns, std::nullopt).front());
  }

  pg::Connection& conn() { return conn_; }
  const rollup::State& state() const { return state_; }
  int64_t from_us() const { return from_us_; }
  int64_t to_us() const { return to_us_; }

  // Dictionary id of a user seen only in raw rows (not folded yet): ids from 2^31 up, unique within
  // this snapshot, so such users are counted once and never mistaken for a dictionary user.
  uint32_t provisional_id(std::string_view user_id);

 private:
  // Raw rows of `raw` ranges (all) and of the rest of the window (only those not folded yet).
  const rollup::Fold& raw_fold(const std::vector<rollup::RawRange>& raw);

  pg::Connection& conn_;
  rollup::State state_;
  int64_t from_us_;
  int64_t to_us_;
  std::optional<std::vector<rollup::RawRange>> raw_ranges_;
  rollup::Fold raw_;
  std::unordered_map<std::string, uint32_t> provisional_;
};

}  // namespace eventhub::analytics
