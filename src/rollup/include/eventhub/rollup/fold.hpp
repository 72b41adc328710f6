#pragma once
// Folding raw events into rollup deltas: what the compactor adds to the stored rows, what `rollup
// verify` recomputes from raw rows, and how analytics adds the raw edges and the not-yet-folded tail
// of a window. One implementation for all three, so they cannot disagree. Pure: any thread.

#include <eventhub/rollup/bucket.hpp>

#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace eventhub::rollup {

// One stored event, as far as analytics cares (the typed columns of `events`).
struct RawEvent {
  int64_t time_us = 0;
  std::string_view source;
  std::string_view funnel_stage;
  std::string_view event_type;
  std::optional<std::string_view> user_id;
  std::optional<uint32_t> user;  // dictionary id of user_id (set whenever user_id is)
  std::optional<std::string_view> country;
  std::optional<std::string_view> campaign;
  std::optional<Money> amount;
};

// Per-user totals (users/top): hour and day buckets, by source and event type.
struct UserKey {
  std::string user_id;
  std::string source;
  Grain grain;
  int64_t bucket_us;
  std::string event_type;
  auto operator<=>(const UserKey&) const = default;
};

struct UserTotals {
  int64_t events = 0;
  Money revenue = 0;
  UserTotals& operator+=(const UserTotals& o) {
    events += o.events;
    revenue += o.revenue;
    return *this;
  }
  friend bool operator==(const UserTotals&, const UserTotals&) = default;
};

inline constexpr Grain kUserGrains[] = {Grain::hour, Grain::day};

class Fold {
 public:
  void add(const RawEvent& e);

  // The rows the added events change, for each grain in `grains` and each level, with what they add.
  std::map<BucketKey, BucketData> bucket_deltas(std::span<const Grain> grains = kGrains) const;
  // What the added events add to the per-user totals (events without a user are not in them).
  const std::map<UserKey, UserTotals>& user_deltas() const { return users_; }

  int64_t events() const { return events_; }

 private:
  std::map<BucketKey, BucketData> minutes_;  // exact level, minute grain: the finest cell
  std::map<UserKey, UserTotals> users_;
  int64_t events_ = 0;
};

}  // namespace eventhub::rollup
