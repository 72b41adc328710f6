#include <eventhub/rollup/fold.hpp>

#include <algorithm>

namespace eventhub::rollup {

void Fold::add(const RawEvent& e) {
  ++events_;
  BucketKey key{Grain::minute, floor_to(Grain::minute, e.time_us),
                Level{std::string(e.source), std::string(e.funnel_stage), std::string(e.event_type)}};
  BucketData& cell = minutes_[key];
  Totals t;
  t.events = 1;
  if (e.amount) {
    t.purchases = 1;
    t.revenue = *e.amount;
  }
  cell.totals += t;
  if (e.user) cell.users.add(*e.user);
  CountryCell& country = cell.countries[e.country ? std::optional<std::string>(std::string(*e.country)) : std::nullopt];
  country.totals += t;
  if (e.user) country.users.add(*e.user);
  if (e.campaign) cell.campaigns[std::string(*e.campaign)] += t;

  if (e.user_id) {
    for (Grain g : kUserGrains)
      users_[UserKey{std::string(*e.user_id), std::string(e.source), g, floor_to(g, e.time_us),
                     std::string(e.event_type)}] += UserTotals{1, e.amount.value_or(0)};
  }
}

std::map<BucketKey, BucketData> Fold::bucket_deltas(std::span<const Grain> grains) const {
  std::map<BucketKey, BucketData> out;
  for (const auto& [key, data] : minutes_) {
    const auto levels = levels_of(key.level.source, key.level.funnel_stage, key.level.event_type);
    for (Grain g : grains) {
      const int64_t bucket = floor_to(g, key.bucket_us);
      for (const Level& level : levels) out[BucketKey{g, bucket, level}].merge(data);
    }
  }
  return out;
}

}  // namespace eventhub::rollup
