#include <eventhub/analytics/endpoints.hpp>

#include <eventhub/analytics/answers.hpp>

#include <stdexcept>

namespace eventhub::analytics {

namespace {

constexpr std::string_view kFiltered[] = {"from", "to", "source", "funnelStage", "eventType"};
constexpr std::string_view kTimeseries[] = {"from", "to", "source", "funnelStage", "eventType", "granularity"};
// The funnel compares stages, so it cannot be filtered by stage or event type.
constexpr std::string_view kFunnel[] = {"from", "to", "source"};
constexpr std::string_view kCountries[] = {"from", "to", "source", "funnelStage", "eventType", "limit"};
constexpr std::string_view kTop[] = {"from", "to", "source", "funnelStage", "eventType", "by", "limit"};

constexpr EndpointSpec kSpecs[] = {
    {Endpoint::stats, "/analytics/stats", "stats", "Event counts",
     "Totals, unique users, by source, stage and event type.", "Stats", kFiltered, answer_stats},
    {Endpoint::timeseries, "/analytics/timeseries", "timeseries", "Events, revenue and users over time",
     "Every bucket from the one containing `from` up to the last one starting before `to`, empty buckets "
     "with 0. Buckets are aligned in UTC; only events inside the window are counted. `users` is the number of "
     "distinct users with an event in the bucket (daily active users at granularity=day).",
     "Timeseries", kTimeseries, answer_timeseries},
    {Endpoint::funnel, "/analytics/funnel", "funnel", "Funnel conversion",
     "Events and users per stage; convertedUsers are users with a top and a bottom event in the window.", "Funnel",
     kFunnel, answer_funnel},
    {Endpoint::countries, "/analytics/countries", "countries", "Events by country",
     "Ordered by events descending (ties: country ascending, null last). Events without a country are grouped "
     "under country null. All countries unless `limit` is given.",
     "Countries", kCountries, answer_countries},
    {Endpoint::campaigns_top, "/analytics/campaigns/top", "campaigns_top", "Top campaigns",
     "Campaigns ranked by events or revenue.", "Campaigns", kTop, answer_campaigns_top},
    {Endpoint::users_top, "/analytics/users/top", "users_top", "Top users",
     "Users (per source) ranked by events or revenue.", "Users", kTop, answer_users_top},
    {Endpoint::revenue, "/analytics/revenue", "revenue", "Revenue",
     "Purchases (events with a purchaseAmount): total, by source, by campaign (every campaign with purchases, "
     "null for purchases without a campaign), ordered by revenue descending.",
     "Revenue", kFiltered, answer_revenue},
};

}  // namespace

std::span<const EndpointSpec> endpoints() { return kSpecs; }

const EndpointSpec& spec(Endpoint e) {
  for (const auto& s : kSpecs)
    if (s.id == e) return s;
  throw std::logic_error("analytics: endpoint without a spec");
}

}  // namespace eventhub::analytics
