#include <eventhub/analytics/snapshot.hpp>

#include <eventhub/common/time.hpp>

#include <algorithm>
#include <stdexcept>

namespace eventhub::analytics {

namespace {

using rollup::Grain;

std::string ts(int64_t unix_us) {
  return common::format_rfc3339(common::from_unix_us(unix_us), common::FractionDigits::micros);
}

// Adjacent or overlapping pieces of one grain become one range (one index range per level in SQL).
std::vector<rollup::BucketRange> merge_pieces(std::vector<rollup::Piece> pieces) {
  std::sort(pieces.begin(), pieces.end(), [](const auto& a, const auto& b) {
    return a.grain != b.grain ? a.grain < b.grain : a.from_us < b.from_us;
  });
  std::vector<rollup::BucketRange> out;
  for (const auto& p : pieces) {
    if (!out.empty() && out.back().grain == p.grain && out.back().to_us >= p.from_us)
      out.back().to_us = std::max(out.back().to_us, p.to_us);
    else
      out.push_back({p.grain, p.from_us, p.to_us});
  }
  return out;
}

std::vector<rollup::RawRange> merge_raw(std::vector<rollup::RawRange> raw) {
  std::sort(raw.begin(), raw.end(), [](const auto& a, const auto& b) { return a.from_us < b.from_us; });
  std::vector<rollup::RawRange> out;
  for (const auto& r : raw) {
    if (!out.empty() && out.back().to_us >= r.from_us) out.back().to_us = std::max(out.back().to_us, r.to_us);
    else out.push_back(r);
  }
  return out;
}

}  // namespace

Snapshot::Snapshot(pg::Connection& conn, const rollup::State& state, int64_t from_us, int64_t to_us)
    : conn_(conn), state_(state), from_us_(from_us), to_us_(to_us) {}

uint32_t Snapshot::provisional_id(std::string_view user_id) {
  const auto [it, added] =
      provisional_.emplace(std::string(user_id), (uint32_t{1} << 31) + static_cast<uint32_t>(provisional_.size()));
  return it->second;
}

const rollup::Fold& Snapshot::raw_fold(const std::vector<rollup::RawRange>& raw) {
  if (raw_ranges_) {
    if (*raw_ranges_ != raw) throw std::logic_error("analytics: one snapshot, one set of raw edges");
    return raw_;
  }
  raw_ranges_ = raw;
  rollup::RawRows rows;
  const rollup::RawSelect with_ids{.with_ids = true};
  std::string outside_edges;
  std::vector<std::optional<std::string>> params{std::to_string(state_.folded_below), ts(from_us_), ts(to_us_)};
  for (const auto& r : raw) {
    rollup::read_raw(conn_, with_ids, "e.event_time >= $1::timestamptz AND e.event_time < $2::timestamptz",
                     {ts(r.from_us), ts(r.to_us)}, rows);
    params.push_back(ts(r.from_us));
    params.push_back(ts(r.to_us));
    outside_edges += " AND NOT (e.event_time >= $" + std::to_string(params.size() - 1) +
                     "::timestamptz AND e.event_time < $" + std::to_string(params.size()) + "::timestamptz)";
  }
  // Committed since the last fold, inside the part of the window the rollup rows cover.
  rollup::read_raw(conn_, with_ids,
                   "e.tx >= $1::xid8 AND e.event_time >= $2::timestamptz AND e.event_time < $3::timestamptz" +
                       outside_edges,
                   params, rows);
  for (auto& e : rows.events) {
    if (e.user_id && !e.user) e.user = provisional_id(*e.user_id);
    raw_.add(e);
  }
  return raw_;
}

std::vector<LevelData> Snapshot::aggregate(const std::vector<rollup::Level>& levels, unsigned columns,
                                           std::optional<Grain> groups) {
  const int64_t step = groups ? rollup::grain_us(*groups) : 0;
  const int64_t first = groups ? rollup::floor_to(*groups, from_us_) : from_us_;
  const std::size_t n = groups ? static_cast<std::size_t>((to_us_ - first + step - 1) / step) : 1;
  std::vector<LevelData> out(n);
  auto group_of = [&](int64_t t) -> std::size_t {
    return groups ? static_cast<std::size_t>((t - first) / step) : 0;
  };

  std::vector<rollup::Piece> pieces;
  std::vector<rollup::RawRange> raw;
  for (std::size_t g = 0; g < n; ++g) {
    const int64_t start = groups ? std::max(from_us_, first + static_cast<int64_t>(g) * step) : from_us_;
    const int64_t end = groups ? std::min(to_us_, first + static_cast<int64_t>(g + 1) * step) : to_us_;
    auto c = rollup::cover(start, end, groups ? *groups : Grain::day);
    const auto sealed = rollup::sealed_pieces(c.pieces, state_);
    pieces.insert(pieces.end(), sealed.begin(), sealed.end());
    raw.insert(raw.end(), c.raw.begin(), c.raw.end());
  }
  for (auto& row : rollup::read_buckets(conn_, merge_pieces(std::move(pieces)), levels, columns)) {
    auto [cell, first] = out[group_of(row.key.bucket_us)].try_emplace(std::move(row.key.level));
    if (first) cell->second = std::move(row.data);  // the common case: one row per group and level
    else cell->second.merge(row.data);
  }

  const Grain minute[] = {Grain::minute};
  const auto wanted = [&](const rollup::Level& l) { return std::find(levels.begin(), levels.end(), l) != levels.end(); };
  for (const auto& [key, data] : raw_fold(merge_raw(std::move(raw))).bucket_deltas(minute))
    if (wanted(key.level)) out[group_of(std::max(key.bucket_us, first))][key.level].merge(data);
  return out;
}

}  // namespace eventhub::analytics
