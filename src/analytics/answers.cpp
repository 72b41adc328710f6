#include <eventhub/analytics/answers.hpp>

#include <eventhub/analytics/json_writer.hpp>
#include <eventhub/common/time.hpp>
#include <eventhub/events/vocabulary.hpp>

#include <algorithm>
#include <cstdio>

namespace eventhub::analytics {

namespace {

using rollup::BucketData;
using rollup::Level;
using rollup::Money;
using rollup::Totals;

std::vector<Level> filter_levels(const QueryOptions& o) {
  return rollup::levels_for(o.source, o.funnel_stage, o.event_type);
}

// The sources an answer lists: the filtered one, or every source.
std::vector<std::string_view> sources_of(const QueryOptions& o) {
  if (o.source) return {*o.source};
  const auto all = events::source_names();
  return {all.begin(), all.end()};
}

BucketData merged(const LevelData& data) {
  BucketData out;
  for (const auto& [level, d] : data) out.merge(d);
  return out;
}

std::string money(Money m) { return rollup::money_2dp(m); }

// Byte order, as PostgreSQL's COLLATE "C": the order the answers always had.
bool bytes_less(std::string_view a, std::string_view b) { return a < b; }

}  // namespace

std::string conversion_rate(int64_t converted, int64_t top_users) {
  if (top_users <= 0 || converted <= 0) return "0";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6f", static_cast<double>(converted) / static_cast<double>(top_users));
  std::string s = buf;
  while (!s.empty() && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

std::string answer_stats(Snapshot& s, const QueryOptions& o) {
  // Counts per exact (source, stage, type) for the breakdowns; users from the filter's own rows.
  std::vector<Level> exact;
  for (const auto& source : events::sources())
    for (const auto& stage : source.stages)
      for (auto type : stage.event_types) {
        if ((o.source && *o.source != source.name) || (o.funnel_stage && *o.funnel_stage != stage.name) ||
            (o.event_type && *o.event_type != type))
          continue;
        exact.push_back({std::string(source.name), std::string(stage.name), std::string(type)});
      }
  const LevelData counts = s.aggregate_window(exact, rollup::kCounts);
  const BucketData users = merged(s.aggregate_window(filter_levels(o), rollup::kUsers));

  struct TypeCount {
    std::string_view source, type;
    int64_t count;
  };
  std::vector<TypeCount> by_type;
  std::map<std::string_view, int64_t> by_source, by_stage;
  int64_t total = 0;
  for (const auto& [level, data] : counts) {
    if (data.totals.events == 0) continue;
    total += data.totals.events;
    by_source[level.source] += data.totals.events;
    by_stage[level.funnel_stage] += data.totals.events;
    by_type.push_back({level.source, level.event_type, data.totals.events});
  }
  std::sort(by_type.begin(), by_type.end(), [](const TypeCount& a, const TypeCount& b) {
    if (a.source != b.source) return bytes_less(a.source, b.source);
    if (a.count != b.count) return a.count > b.count;
    return bytes_less(a.type, b.type);
  });
  JsonWriter w;
  w.begin_object().field("total", total).field("uniqueUsers", static_cast<int64_t>(users.users.size()));
  w.key("bySource").begin_object();
  for (auto source : events::source_names()) w.field(source, by_source[source]);
  w.end_object().key("byFunnelStage").begin_object();
  for (auto stage : events::stage_names()) w.field(stage, by_stage[stage]);
  w.end_object().key("byEventType").begin_array();
  for (const auto& t : by_type)
    w.begin_object().field("source", t.source).field("eventType", t.type).field("count", t.count).end_object();
  w.end_array().end_object();
  return w.take();
}

std::string answer_timeseries(Snapshot& s, const QueryOptions& o) {
  const auto points = s.aggregate(filter_levels(o), rollup::kCounts | rollup::kUsers, o.granularity);
  const int64_t first = rollup::floor_to(o.granularity, o.from_us);
  const int64_t step = rollup::grain_us(o.granularity);
  JsonWriter w;
  w.reserve(96 * points.size());
  w.begin_object().field("granularity", rollup::grain_name(o.granularity)).key("points").begin_array();
  static const BucketData empty;
  for (std::size_t i = 0; i < points.size(); ++i) {
    // One level (no event type filter, or one source): no copy.
    BucketData combined;
    const BucketData& d = points[i].empty()       ? empty
                          : points[i].size() == 1 ? points[i].begin()->second
                                                  : (combined = merged(points[i]));
    w.begin_object()
        .field("bucket", common::format_rfc3339(common::from_unix_us(first + static_cast<int64_t>(i) * step),
                                                common::FractionDigits::none))
        .field("count", d.totals.events);
    w.key("revenue").number_text(money(d.totals.revenue));
    w.field("users", static_cast<int64_t>(d.users.size())).end_object();
  }
  w.end_array().end_object();
  return w.take();
}

namespace {

struct StageFigures {
  int64_t top_events = 0, top_users = 0, bottom_events = 0, bottom_users = 0, converted = 0;
};

StageFigures stage_figures(const LevelData& data, const std::string& source) {
  const auto top = data.find({source, "top", ""});
  const auto bottom = data.find({source, "bottom", ""});
  StageFigures f;
  static const BucketData none;
  const BucketData& t = top != data.end() ? top->second : none;
  const BucketData& b = bottom != data.end() ? bottom->second : none;
  f.top_events = t.totals.events;
  f.top_users = static_cast<int64_t>(t.users.size());
  f.bottom_events = b.totals.events;
  f.bottom_users = static_cast<int64_t>(b.users.size());
  f.converted = static_cast<int64_t>(t.users.intersection_size(b.users));
  return f;
}

void write_stages(JsonWriter& w, const StageFigures& f) {
  w.key("top").begin_object().field("events", f.top_events).field("users", f.top_users).end_object();
  w.key("bottom").begin_object().field("events", f.bottom_events).field("users", f.bottom_users).end_object();
  w.field("convertedUsers", f.converted);
  w.key("conversionRate").number_text(conversion_rate(f.converted, f.top_users));
}

}  // namespace

std::string answer_funnel(Snapshot& s, const QueryOptions& o) {
  std::vector<Level> levels;
  const auto sources = sources_of(o);
  for (auto source : sources)
    for (const char* stage : {"top", "bottom"}) levels.push_back({std::string(source), stage, ""});
  if (!o.source)
    for (const char* stage : {"top", "bottom"}) levels.push_back({"", stage, ""});
  const LevelData data = s.aggregate_window(levels, rollup::kCounts | rollup::kUsers);
  JsonWriter w;
  w.begin_object();
  write_stages(w, stage_figures(data, o.source.value_or("")));
  w.key("bySource").begin_array();
  for (auto source : sources) {
    w.begin_object().field("source", source);
    write_stages(w, stage_figures(data, std::string(source)));
    w.end_object();
  }
  w.end_array().end_object();
  return w.take();
}

std::string answer_countries(Snapshot& s, const QueryOptions& o) {
  rollup::CountryMap countries;
  const LevelData data_by_level = s.aggregate_window(filter_levels(o), rollup::kCountries);
  for (const auto& [level, data] : data_by_level)
    for (const auto& [country, cell] : data.countries) {
      auto& mine = countries[country];
      mine.totals += cell.totals;
      mine.users |= cell.users;
    }
  std::vector<const rollup::CountryMap::value_type*> rows;
  for (const auto& entry : countries) rows.push_back(&entry);
  std::sort(rows.begin(), rows.end(), [](const auto* a, const auto* b) {
    if (a->second.totals.events != b->second.totals.events) return a->second.totals.events > b->second.totals.events;
    if (a->first.has_value() != b->first.has_value()) return a->first.has_value();  // null last among ties
    return a->first && bytes_less(*a->first, *b->first);
  });
  if (o.limit && rows.size() > static_cast<std::size_t>(*o.limit)) rows.resize(static_cast<std::size_t>(*o.limit));
  JsonWriter w;
  w.begin_object().key("countries").begin_array();
  for (const auto* row : rows) {
    w.begin_object().key("country");
    if (row->first) w.value(*row->first);
    else w.null();
    w.field("events", row->second.totals.events).field("users", static_cast<int64_t>(row->second.users.size()));
    w.key("revenue").number_text(money(row->second.totals.revenue));
    w.end_object();
  }
  w.end_array().end_object();
  return w.take();
}

std::string answer_campaigns_top(Snapshot& s, const QueryOptions& o) {
  rollup::CampaignMap campaigns;
  const LevelData data_by_level = s.aggregate_window(filter_levels(o), rollup::kCampaigns);
  for (const auto& [level, data] : data_by_level)
    for (const auto& [campaign, t] : data.campaigns) campaigns[campaign] += t;
  std::vector<const rollup::CampaignMap::value_type*> rows;
  for (const auto& entry : campaigns) rows.push_back(&entry);
  const bool by_revenue = o.by == TopBy::revenue;
  std::sort(rows.begin(), rows.end(), [by_revenue](const auto* a, const auto* b) {
    if (by_revenue && a->second.revenue != b->second.revenue) return a->second.revenue > b->second.revenue;
    if (a->second.events != b->second.events) return a->second.events > b->second.events;
    return bytes_less(a->first, b->first);
  });
  rows.resize(std::min(rows.size(), static_cast<std::size_t>(o.limit.value_or(kDefaultLimit))));
  JsonWriter w;
  w.begin_object().key("campaigns").begin_array();
  for (const auto* row : rows) {
    w.begin_object()
        .field("campaignId", row->first)
        .field("events", row->second.events)
        .field("purchases", row->second.purchases);
    w.key("revenue").number_text(money(row->second.revenue));
    w.end_object();
  }
  w.end_array().end_object();
  return w.take();
}

std::string answer_revenue(Snapshot& s, const QueryOptions& o) {
  // Per source for bySource; the filter's levels of each source are disjoint, so they add up.
  std::vector<Level> levels;
  const auto sources = sources_of(o);
  for (auto source : sources)
    for (auto& l : rollup::levels_for(std::string(source), o.funnel_stage, o.event_type)) levels.push_back(l);
  const LevelData data = s.aggregate_window(levels, rollup::kCounts | rollup::kCampaigns);
  Totals total;
  std::vector<std::pair<std::string_view, Totals>> by_source;
  rollup::CampaignMap campaigns;
  for (auto source : sources) {
    Totals t;
    for (const auto& [level, d] : data)
      if (level.source == source) {
        t += d.totals;
        for (const auto& [campaign, c] : d.campaigns) campaigns[campaign] += c;
      }
    total += t;
    by_source.emplace_back(source, t);
  }
  // Sources with purchases by revenue, then those without, in vocabulary order (both always listed).
  std::stable_sort(by_source.begin(), by_source.end(), [](const auto& a, const auto& b) {
    const bool pa = a.second.purchases > 0, pb = b.second.purchases > 0;
    if (pa != pb) return pa;
    if (!pa) return false;
    if (a.second.revenue != b.second.revenue) return a.second.revenue > b.second.revenue;
    if (a.second.purchases != b.second.purchases) return a.second.purchases > b.second.purchases;
    return bytes_less(a.first, b.first);
  });
  struct CampaignRow {
    std::optional<std::string_view> id;  // nullopt: purchases without a campaign
    int64_t purchases;
    Money revenue;
  };
  std::vector<CampaignRow> rows;
  int64_t campaign_purchases = 0;
  Money campaign_revenue = 0;
  for (const auto& [campaign, t] : campaigns) {
    campaign_purchases += t.purchases;
    campaign_revenue += t.revenue;
    if (t.purchases > 0) rows.push_back({campaign, t.purchases, t.revenue});
  }
  if (total.purchases > campaign_purchases)
    rows.push_back({std::nullopt, total.purchases - campaign_purchases, total.revenue - campaign_revenue});
  std::sort(rows.begin(), rows.end(), [](const CampaignRow& a, const CampaignRow& b) {
    if (a.revenue != b.revenue) return a.revenue > b.revenue;
    if (a.purchases != b.purchases) return a.purchases > b.purchases;
    if (a.id.has_value() != b.id.has_value()) return a.id.has_value();
    return a.id && bytes_less(*a.id, *b.id);
  });
  JsonWriter w;
  w.begin_object().key("total").number_text(money(total.revenue));
  w.field("purchases", total.purchases).key("bySource").begin_array();
  for (const auto& [source, t] : by_source) {
    w.begin_object().field("source", source);
    w.key("revenue").number_text(money(t.revenue));
    w.field("purchases", t.purchases).end_object();
  }
  w.end_array().key("byCampaign").begin_array();
  for (const auto& row : rows) {
    w.begin_object().key("campaignId");
    if (row.id) w.value(*row.id);
    else w.null();
    w.key("revenue").number_text(money(row.revenue));
    w.field("purchases", row.purchases).end_object();
  }
  w.end_array().end_object();
  return w.take();
}

}  // namespace eventhub::analytics
