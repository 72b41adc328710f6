#pragma once
// What one rollup row holds: the events of one time bucket at one level of the dimensions, and how
// rows combine. A row is keyed by (grain, bucket, source, funnel_stage, event_type), where an empty
// string means "all": every event is counted in five rows per bucket (its exact type, its source and
// stage, its source, its stage, everything), so any analytics filter is answered from at most two rows
// per bucket (see docs/analytics.md, "Rollups"). Per country and per campaign figures live inside the
// row (encoded blobs), so a query reads a number of rows proportional to its buckets, never to its
// events. Pure data and codecs: any thread.

#include <eventhub/rollup/money.hpp>
#include <eventhub/rollup/user_set.hpp>
#include <eventhub/rollup/window.hpp>

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace eventhub::rollup {

// A dimension level; "" = all values of that dimension.
struct Level {
  std::string source;
  std::string funnel_stage;
  std::string event_type;
  auto operator<=>(const Level&) const = default;
};

// The five levels an event of (source, stage, type) is counted in.
std::array<Level, 5> levels_of(std::string_view source, std::string_view stage, std::string_view type);

// The rows whose union is exactly the events passing an analytics filter (each an optional value):
// at most two (an event type without a source names one type in each source that has it). Empty
// when the filter matches nothing (a type that is not of the given source or stage).
std::vector<Level> levels_for(const std::optional<std::string>& source, const std::optional<std::string>& stage,
                              const std::optional<std::string>& type);

struct Totals {
  int64_t events = 0;
  int64_t purchases = 0;  // events with a purchaseAmount
  Money revenue = 0;
  Totals& operator+=(const Totals& o) {
    events += o.events;
    purchases += o.purchases;
    revenue += o.revenue;
    return *this;
  }
  friend bool operator==(const Totals&, const Totals&) = default;
};

struct CountryCell {
  Totals totals;
  UserSet users;
  friend bool operator==(const CountryCell&, const CountryCell&) = default;
};

using CountryMap = std::map<std::optional<std::string>, CountryCell>;  // nullopt = events without a country
using CampaignMap = std::map<std::string, Totals>;                     // only events with a campaign

struct BucketData {
  Totals totals;
  UserSet users;  // users of the bucket (events without a user are counted, not in the set)
  CountryMap countries;
  CampaignMap campaigns;

  void merge(const BucketData& other);
  friend bool operator==(const BucketData&, const BucketData&) = default;
};

struct BucketKey {
  Grain grain;
  int64_t bucket_us;
  Level level;
  auto operator<=>(const BucketKey&) const = default;
};

// The blobs of the `countries` and `campaigns` columns (format in bucket.cpp). Decoding throws
// std::runtime_error on bytes it did not write.
std::string encode_countries(const CountryMap& countries);
CountryMap decode_countries(std::string_view bytes);
std::string encode_campaigns(const CampaignMap& campaigns);
CampaignMap decode_campaigns(std::string_view bytes);

}  // namespace eventhub::rollup
