#include <eventhub/analytics/params.hpp>

#include <eventhub/analytics/endpoints.hpp>
#include <eventhub/common/time.hpp>
#include <eventhub/events/vocabulary.hpp>

#include <algorithm>
#include <charconv>
#include <vector>

namespace eventhub::analytics {

namespace {

bool one_of(std::span<const std::string_view> set, std::string_view v) {
  return std::find(set.begin(), set.end(), v) != set.end();
}

// Parameter names echoed in messages: printable ASCII only, bounded, so a message is always valid UTF-8.
std::string printable(std::string_view name) {
  std::string out;
  for (char c : name.substr(0, 64)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
  if (name.size() > 64) out += "...";
  return out;
}

ParseResult fail(std::string parameter, std::string message) {
  ParseResult r;
  r.error = ParamError{std::move(parameter), std::move(message)};
  return r;
}

std::string seconds_text(int64_t us) {
  return common::format_rfc3339(common::from_unix_us(us), common::FractionDigits::none);
}

}  // namespace

int64_t bucket_count(Granularity g, int64_t from_us, int64_t to_us) {
  if (to_us <= from_us) return 0;
  const int64_t step = rollup::grain_us(g);
  const int64_t first = rollup::floor_to(g, from_us);
  return (to_us - first + step - 1) / step;
}

std::span<const std::string_view> allowed_parameters(Endpoint e) { return spec(e).parameters; }

ParseResult parse_options(Endpoint endpoint, const http::QueryParams& params, int64_t now_us,
                          std::chrono::hours default_window) {
  if (!params.malformed.empty())
    return fail(printable(params.malformed.front()),
                printable(params.malformed.front()) + " has an invalid percent-encoding");
  if (!params.repeated.empty())
    return fail(printable(params.repeated.front()),
                printable(params.repeated.front()) + " must be given at most once");
  const auto allowed = allowed_parameters(endpoint);
  // Report unknown names in a stable (sorted) order.
  std::vector<std::string> unknown;
  for (const auto& [name, value] : params.values)
    if (!one_of(allowed, name)) unknown.push_back(name);
  if (!unknown.empty()) {
    std::sort(unknown.begin(), unknown.end());
    return fail(printable(unknown.front()), "unknown parameter " + printable(unknown.front()) + " for " +
                                                std::string(spec(endpoint).path) + " (accepted: " +
                                                events::joined(allowed, ", ") + ")");
  }
  auto get = [&](const char* name) -> const std::string* {
    const auto it = params.values.find(name);
    return it == params.values.end() ? nullptr : &it->second;
  };

  QueryOptions o;
  const std::string* from = get("from");
  const std::string* to = get("to");
  std::optional<common::TimePoint> from_t, to_t;
  if (from && !(from_t = common::parse_rfc3339(*from)))
    return fail("from", "from must be an RFC 3339 date-time, e.g. 2026-01-02T03:04:05Z");
  if (to && !(to_t = common::parse_rfc3339(*to)))
    return fail("to", "to must be an RFC 3339 date-time, e.g. 2026-01-02T03:04:05Z");
  const int64_t window_us = static_cast<int64_t>(default_window.count()) * rollup::grain_us(rollup::Grain::hour);
  o.to_us = to_t ? common::to_unix_us(*to_t) : now_us;
  o.from_us = from_t ? common::to_unix_us(*from_t) : o.to_us - window_us;
  if (o.from_us >= o.to_us)
    return fail("from", to_t ? "from must be earlier than to" : "from must be earlier than to (to defaults to now)");

  if (const auto* v = get("source")) {
    if (!one_of(events::source_names(), *v))
      return fail("source", "source must be one of: " + events::joined(events::source_names(), ", "));
    o.source = *v;
  }
  if (const auto* v = get("funnelStage")) {
    if (!one_of(events::stage_names(), *v))
      return fail("funnelStage", "funnelStage must be one of: " + events::joined(events::stage_names(), ", "));
    o.funnel_stage = *v;
  }
  if (const auto* v = get("eventType")) {
    if (!one_of(events::event_type_names(), *v))
      return fail("eventType", "eventType must be one of: " + events::joined(events::event_type_names(), ", "));
    o.event_type = *v;
  }
  if (const auto* v = get("granularity")) {
    bool known = false;
    for (auto g : rollup::kGrains)
      if (*v == rollup::grain_name(g)) o.granularity = g, known = true;
    if (!known) return fail("granularity", "granularity must be one of: minute, hour, day");
  }
  if (endpoint == Endpoint::timeseries) {
    const int64_t n = bucket_count(o.granularity, o.from_us, o.to_us);
    if (n > kMaxBuckets)
      return fail("granularity", "granularity " + std::string(rollup::grain_name(o.granularity)) + " from " +
                                     seconds_text(o.from_us) + " to " + seconds_text(o.to_us) + " gives " +
                                     std::to_string(n) + " buckets; at most " + std::to_string(kMaxBuckets) +
                                     " are allowed (narrow from/to or use a coarser granularity)");
  }
  if (const auto* v = get("by")) {
    if (*v == "events") o.by = TopBy::events;
    else if (*v == "revenue") o.by = TopBy::revenue;
    else return fail("by", "by must be one of: events, revenue");
  }
  if (endpoint == Endpoint::campaigns_top || endpoint == Endpoint::users_top) o.limit = kDefaultLimit;
  if (const auto* v = get("limit")) {
    int n = 0;
    const auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
    if (v->empty() || ec != std::errc{} || end != v->data() + v->size() || n < 1 || n > kMaxLimit)
      return fail("limit", "limit must be an integer from 1 to " + std::to_string(kMaxLimit));
    o.limit = n;
  }
  ParseResult r;
  r.options = std::move(o);
  return r;
}

}  // namespace eventhub::analytics
