#include <eventhub/analytics/query.hpp>

#include <boost/json/serialize.hpp>
#include <boost/json/string_view.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace eventhub::analytics {

namespace {

constexpr int64_t kUsPerSecond = 1'000'000;
constexpr int64_t kUsPerMinute = 60 * kUsPerSecond;
constexpr int64_t kUsPerHour = 60 * kUsPerMinute;
constexpr int64_t kUsPerDay = 24 * kUsPerHour;

constexpr std::array<std::string_view, 2> kSources{"facebook", "tiktok"};
constexpr std::array<std::string_view, 2> kStages{"top", "bottom"};
constexpr std::array<std::string_view, 12> kEventTypes{
    "ad.view", "page.like",     "comment", "video.view", "ad.click", "form.submission",
    "checkout.complete", "like", "share",  "profile.visit", "purchase", "follow"};

// Howard Hinnant's days_from_civil / civil_from_days (proleptic Gregorian, UTC).
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void civil_from_days(int64_t z, int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
}

bool leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }
unsigned days_in_month(int64_t y, unsigned m) {
  static constexpr unsigned k[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && leap(y) ? 29 : k[m - 1];
}

bool digits(std::string_view s, std::size_t pos, std::size_t n, int& out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  out = v;
  return true;
}

int64_t floor_div(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

int64_t bucket_us(Granularity g) {
  switch (g) {
    case Granularity::minute: return kUsPerMinute;
    case Granularity::hour: return kUsPerHour;
    case Granularity::day: return kUsPerDay;
  }
  return kUsPerHour;
}

template <std::size_t N>
bool one_of(const std::array<std::string_view, N>& set, std::string_view v) {
  return std::find(set.begin(), set.end(), v) != set.end();
}

// Parameter names echoed in messages: printable ASCII only, bounded, so a message is always valid UTF-8.
std::string printable(std::string_view name) {
  std::string out;
  for (char c : name.substr(0, 64)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
  if (name.size() > 64) out += "...";
  return out;
}

template <std::size_t N>
std::string list(const std::array<std::string_view, N>& set) {
  std::string out;
  for (auto v : set) {
    if (!out.empty()) out += ", ";
    out += v;
  }
  return out;
}

ParseResult fail(std::string parameter, std::string message) {
  ParseResult r;
  r.error = ParamError{std::move(parameter), std::move(message)};
  return r;
}

}  // namespace

std::string_view endpoint_path(Endpoint e) {
  switch (e) {
    case Endpoint::stats: return "/analytics/stats";
    case Endpoint::timeseries: return "/analytics/timeseries";
    case Endpoint::funnel: return "/analytics/funnel";
    case Endpoint::countries: return "/analytics/countries";
    case Endpoint::campaigns_top: return "/analytics/campaigns/top";
    case Endpoint::users_top: return "/analytics/users/top";
    case Endpoint::revenue: return "/analytics/revenue";
  }
  return "";
}

std::string_view endpoint_label(Endpoint e) {
  switch (e) {
    case Endpoint::stats: return "stats";
    case Endpoint::timeseries: return "timeseries";
    case Endpoint::funnel: return "funnel";
    case Endpoint::countries: return "countries";
    case Endpoint::campaigns_top: return "campaigns_top";
    case Endpoint::users_top: return "users_top";
    case Endpoint::revenue: return "revenue";
  }
  return "";
}

std::string_view granularity_name(Granularity g) {
  switch (g) {
    case Granularity::minute: return "minute";
    case Granularity::hour: return "hour";
    case Granularity::day: return "day";
  }
  return "hour";
}

std::optional<int64_t> parse_rfc3339(std::string_view s) {
  // YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM)
  int year, month, day, hour, minute, second;
  if (s.size() < 20) return std::nullopt;
  if (!digits(s, 0, 4, year) || s[4] != '-' || !digits(s, 5, 2, month) || s[7] != '-' || !digits(s, 8, 2, day))
    return std::nullopt;
  if (s[10] != 'T' && s[10] != 't') return std::nullopt;
  if (!digits(s, 11, 2, hour) || s[13] != ':' || !digits(s, 14, 2, minute) || s[16] != ':' ||
      !digits(s, 17, 2, second))
    return std::nullopt;
  if (year < 1 || month < 1 || month > 12 || day < 1 || static_cast<unsigned>(day) > days_in_month(year, month) ||
      hour > 23 || minute > 59 || second > 59)
    return std::nullopt;
  std::size_t pos = 19;
  int64_t micros = 0;
  if (s[pos] == '.') {
    ++pos;
    const std::size_t start = pos;
    int64_t scale = 100'000;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      micros += (s[pos] - '0') * scale;
      scale /= 10;
      ++pos;
    }
    if (pos == start || pos - start > 9) return std::nullopt;
  }
  if (pos >= s.size()) return std::nullopt;
  int64_t offset_us = 0;
  if (s[pos] == 'Z' || s[pos] == 'z') {
    ++pos;
  } else if (s[pos] == '+' || s[pos] == '-') {
    int oh, om;
    if (!digits(s, pos + 1, 2, oh) || pos + 3 >= s.size() || s[pos + 3] != ':' || !digits(s, pos + 4, 2, om) ||
        oh > 23 || om > 59)
      return std::nullopt;
    offset_us = (oh * 60 + om) * kUsPerMinute * (s[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;
  const int64_t days = days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  return days * kUsPerDay + hour * kUsPerHour + minute * kUsPerMinute + second * kUsPerSecond + micros - offset_us;
}

std::string format_rfc3339(int64_t us, bool fraction) {
  const int64_t days = floor_div(us, kUsPerDay);
  int64_t rest = us - days * kUsPerDay;
  int64_t y;
  unsigned m, d;
  civil_from_days(days, y, m, d);
  const int hh = static_cast<int>(rest / kUsPerHour);
  rest %= kUsPerHour;
  const int mi = static_cast<int>(rest / kUsPerMinute);
  rest %= kUsPerMinute;
  const int ss = static_cast<int>(rest / kUsPerSecond);
  const int frac = static_cast<int>(rest % kUsPerSecond);
  char buf[64];
  if (fraction)
    std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02d:%02d:%02d.%06dZ", static_cast<long long>(y), m, d, hh, mi,
                  ss, frac);
  else
    std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02d:%02d:%02dZ", static_cast<long long>(y), m, d, hh, mi, ss);
  return buf;
}

int64_t bucket_count(Granularity g, int64_t from_us, int64_t to_us) {
  if (to_us <= from_us) return 0;
  const int64_t step = bucket_us(g);
  const int64_t first = floor_div(from_us, step) * step;
  return (to_us - first + step - 1) / step;
}

const std::vector<std::string_view>& allowed_parameters(Endpoint e) {
  static const std::vector<std::string_view> common{"from", "to", "source", "funnelStage", "eventType"};
  static const std::vector<std::string_view> timeseries{"from",      "to",       "source",
                                                        "funnelStage", "eventType", "granularity"};
  // The funnel compares stages, so it cannot be filtered by stage or event type.
  static const std::vector<std::string_view> funnel{"from", "to", "source"};
  static const std::vector<std::string_view> top{"from", "to", "source", "funnelStage", "eventType", "by", "limit"};
  switch (e) {
    case Endpoint::timeseries: return timeseries;
    case Endpoint::funnel: return funnel;
    case Endpoint::campaigns_top:
    case Endpoint::users_top: return top;
    default: return common;
  }
}

ParseResult parse_options(Endpoint endpoint, const http::QueryParams& params, int64_t now_us,
                          std::chrono::hours default_window) {
  if (!params.malformed.empty())
    return fail(printable(params.malformed.front()),
                printable(params.malformed.front()) + " has an invalid percent-encoding");
  if (!params.repeated.empty())
    return fail(printable(params.repeated.front()),
                printable(params.repeated.front()) + " must be given at most once");
  const auto& allowed = allowed_parameters(endpoint);
  // Report unknown names in a stable (sorted) order.
  std::vector<std::string> unknown;
  for (const auto& [name, value] : params.values)
    if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) unknown.push_back(name);
  if (!unknown.empty()) {
    std::sort(unknown.begin(), unknown.end());
    std::string names;
    for (auto n : allowed) names += (names.empty() ? "" : ", ") + std::string(n);
    return fail(printable(unknown.front()), "unknown parameter " + printable(unknown.front()) + " for " +
                                                std::string(endpoint_path(endpoint)) + " (accepted: " + names + ")");
  }
  auto get = [&](const char* name) -> const std::string* {
    const auto it = params.values.find(name);
    return it == params.values.end() ? nullptr : &it->second;
  };

  QueryOptions o;
  const std::string* from = get("from");
  const std::string* to = get("to");
  std::optional<int64_t> from_us, to_us;
  if (from && !(from_us = parse_rfc3339(*from)))
    return fail("from", "from must be an RFC 3339 date-time, e.g. 2026-01-02T03:04:05Z");
  if (to && !(to_us = parse_rfc3339(*to)))
    return fail("to", "to must be an RFC 3339 date-time, e.g. 2026-01-02T03:04:05Z");
  const int64_t window_us = static_cast<int64_t>(default_window.count()) * kUsPerHour;
  o.to_us = to_us ? *to_us : now_us;
  o.from_us = from_us ? *from_us : o.to_us - window_us;
  if (o.from_us >= o.to_us)
    return fail("from", to_us ? "from must be earlier than to"
                              : "from must be earlier than to (to defaults to now)");

  if (const auto* v = get("source")) {
    if (!one_of(kSources, *v)) return fail("source", "source must be one of: " + list(kSources));
    o.source = *v;
  }
  if (const auto* v = get("funnelStage")) {
    if (!one_of(kStages, *v)) return fail("funnelStage", "funnelStage must be one of: " + list(kStages));
    o.funnel_stage = *v;
  }
  if (const auto* v = get("eventType")) {
    if (!one_of(kEventTypes, *v)) return fail("eventType", "eventType must be one of: " + list(kEventTypes));
    o.event_type = *v;
  }
  if (const auto* v = get("granularity")) {
    if (*v == "minute") o.granularity = Granularity::minute;
    else if (*v == "hour") o.granularity = Granularity::hour;
    else if (*v == "day") o.granularity = Granularity::day;
    else return fail("granularity", "granularity must be one of: minute, hour, day");
  }
  if (endpoint == Endpoint::timeseries) {
    const int64_t n = bucket_count(o.granularity, o.from_us, o.to_us);
    if (n > kMaxBuckets)
      return fail("granularity", "granularity " + std::string(granularity_name(o.granularity)) + " from " +
                                     format_rfc3339(o.from_us, false) + " to " + format_rfc3339(o.to_us, false) +
                                     " gives " + std::to_string(n) + " buckets; at most " +
                                     std::to_string(kMaxBuckets) + " are allowed (narrow from/to or use a coarser granularity)");
  }
  if (const auto* v = get("by")) {
    if (*v == "events") o.by = TopBy::events;
    else if (*v == "revenue") o.by = TopBy::revenue;
    else return fail("by", "by must be one of: events, revenue");
  }
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

namespace {

// Accumulates the WHERE clause and its parameters; values only ever go to `params`.
struct Builder {
  std::string where;
  std::vector<std::optional<std::string>> params;

  std::string bind(std::string value) {
    params.emplace_back(std::move(value));
    return "$" + std::to_string(params.size());
  }
};

Builder window_filter(const QueryOptions& o, bool with_stage_and_type = true) {
  Builder b;
  // One bind per statement: the operands of + are unsequenced, so placeholders are numbered in order here.
  const std::string from = b.bind(format_rfc3339(o.from_us));
  const std::string to = b.bind(format_rfc3339(o.to_us));
  b.where = "event_time >= " + from + "::timestamptz AND event_time < " + to + "::timestamptz";
  if (o.source) b.where += " AND source = " + b.bind(*o.source);
  if (with_stage_and_type) {
    if (o.funnel_stage) b.where += " AND funnel_stage = " + b.bind(*o.funnel_stage);
    if (o.event_type) b.where += " AND event_type = " + b.bind(*o.event_type);
  }
  return b;
}

}  // namespace

std::vector<SqlQuery> build_queries(Endpoint endpoint, const QueryOptions& o) {
  std::vector<SqlQuery> out;
  switch (endpoint) {
    case Endpoint::stats: {
      Builder b = window_filter(o);
      out.push_back({"SELECT source, funnel_stage, event_type, count(*) FROM events WHERE " + b.where +
                         " GROUP BY source, funnel_stage, event_type"
                         " ORDER BY source, count(*) DESC, event_type COLLATE \"C\"",
                     b.params});
      // DISTINCT in a subquery hashes; count(DISTINCT) sorts (measured 3x slower at 230k rows).
      out.push_back({"SELECT count(*) FROM (SELECT DISTINCT user_id FROM events WHERE " + b.where +
                         " AND user_id IS NOT NULL) AS u",
                     b.params});
      break;
    }
    case Endpoint::timeseries: {
      Builder b = window_filter(o);
      const std::string from = "$1::timestamptz AT TIME ZONE 'UTC'";
      const std::string to = "$2::timestamptz AT TIME ZONE 'UTC'";
      const std::string g = b.bind(std::string(granularity_name(o.granularity))) + "::text";
      out.push_back({"WITH buckets AS (SELECT generate_series(date_trunc(" + g + ", " + from + "), " + to +
                         ", ('1 ' || " + g + ")::interval) AS bucket),"
                         " counts AS (SELECT date_trunc(" + g + ", event_time AT TIME ZONE 'UTC') AS bucket,"
                         " count(*) AS events, sum(purchase_amount) AS revenue FROM events WHERE " + b.where +
                         " GROUP BY 1)"
                         " SELECT to_char(b.bucket, 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), COALESCE(c.events, 0),"
                         " round(COALESCE(c.revenue, 0), 2)"
                         " FROM buckets b LEFT JOIN counts c ON c.bucket = b.bucket"
                         " WHERE b.bucket < " + to + " ORDER BY b.bucket",
                     b.params});
      break;
    }
    case Endpoint::funnel: {
      Builder b = window_filter(o, false);
      // One pass: per (source, user) for bySource and per user across sources for the totals.
      out.push_back({"WITH per_user AS (SELECT GROUPING(source) AS overall, source, user_id,"
                     " count(*) FILTER (WHERE funnel_stage = 'top') AS top_events,"
                     " count(*) FILTER (WHERE funnel_stage = 'bottom') AS bottom_events"
                     " FROM events WHERE " + b.where +
                         " GROUP BY GROUPING SETS ((source, user_id), (user_id)))"
                         " SELECT overall, source, sum(top_events)::bigint,"
                         " count(*) FILTER (WHERE user_id IS NOT NULL AND top_events > 0),"
                         " sum(bottom_events)::bigint,"
                         " count(*) FILTER (WHERE user_id IS NOT NULL AND bottom_events > 0),"
                         " count(*) FILTER (WHERE user_id IS NOT NULL AND top_events > 0 AND bottom_events > 0)"
                         " FROM per_user GROUP BY overall, source ORDER BY overall DESC, source",
                     b.params});
      break;
    }
    case Endpoint::countries: {
      Builder b = window_filter(o);
      // Two hashed levels (country, user) then country, instead of a sorting count(DISTINCT).
      out.push_back({"SELECT country, sum(events)::bigint AS events, count(user_id),"
                     " round(COALESCE(sum(revenue), 0), 2) FROM (SELECT country, user_id, count(*) AS events,"
                     " sum(purchase_amount) AS revenue FROM events WHERE " + b.where +
                         " GROUP BY country, user_id) AS per_user"
                         " GROUP BY country ORDER BY sum(events) DESC, country COLLATE \"C\" NULLS LAST",
                     b.params});
      break;
    }
    case Endpoint::campaigns_top: {
      Builder b = window_filter(o);
      const std::string order = o.by == TopBy::revenue
                                    ? "COALESCE(sum(purchase_amount), 0) DESC, count(*) DESC"
                                    : "count(*) DESC";
      const std::string limit = b.bind(std::to_string(o.limit));
      out.push_back({"SELECT campaign_id, count(*), count(purchase_amount),"
                     " round(COALESCE(sum(purchase_amount), 0), 2) FROM events WHERE " + b.where +
                         " AND campaign_id IS NOT NULL GROUP BY campaign_id ORDER BY " + order +
                         ", campaign_id COLLATE \"C\" LIMIT " + limit + "::int",
                     b.params});
      break;
    }
    case Endpoint::users_top: {
      Builder b = window_filter(o);
      const std::string order = o.by == TopBy::revenue
                                    ? "COALESCE(sum(purchase_amount), 0) DESC, count(*) DESC"
                                    : "count(*) DESC";
      const std::string limit = b.bind(std::to_string(o.limit));
      out.push_back({"SELECT user_id, source, count(*), round(COALESCE(sum(purchase_amount), 0), 2)"
                     " FROM events WHERE " + b.where +
                         " AND user_id IS NOT NULL GROUP BY user_id, source ORDER BY " + order +
                         ", user_id COLLATE \"C\", source LIMIT " + limit + "::int",
                     b.params});
      break;
    }
    case Endpoint::revenue: {
      Builder b = window_filter(o);
      out.push_back({"SELECT GROUPING(source), GROUPING(campaign_id), source, campaign_id, count(*),"
                     " round(COALESCE(sum(purchase_amount), 0), 2) FROM events WHERE " + b.where +
                         " AND purchase_amount IS NOT NULL"
                         " GROUP BY GROUPING SETS ((), (source), (campaign_id))"
                         " ORDER BY GROUPING(source) DESC, GROUPING(campaign_id), COALESCE(sum(purchase_amount), 0) DESC,"
                         " count(*) DESC, source, campaign_id COLLATE \"C\" NULLS LAST",
                     b.params});
      break;
    }
  }
  return out;
}

namespace {

std::string quote(std::string_view s) { return boost::json::serialize(boost::json::string_view(s.data(), s.size())); }

const std::string& cell(const Row& row, std::size_t i) {
  if (i >= row.size() || !row[i]) throw std::runtime_error("analytics: unexpected NULL or missing column");
  return *row[i];
}

// An integer as PostgreSQL printed it.
std::string integer(const Row& row, std::size_t i) {
  const std::string& v = cell(row, i);
  if (v.empty() || !std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; }))
    throw std::runtime_error("analytics: not an integer: " + v);
  return v;
}

int64_t integer_value(const Row& row, std::size_t i) { return std::stoll(integer(row, i)); }

// A numeric rounded by PostgreSQL to 2 decimals ("12.30", "-1.00", "0"): already a JSON number.
std::string money(const Row& row, std::size_t i) {
  const std::string& v = cell(row, i);
  std::size_t p = v.size() > 0 && v[0] == '-' ? 1 : 0;
  bool dot = false, ok = p < v.size();
  for (std::size_t k = p; k < v.size() && ok; ++k) {
    if (v[k] == '.') ok = !dot && k > p && k + 1 < v.size(), dot = true;
    else ok = v[k] >= '0' && v[k] <= '9';
  }
  if (!ok) throw std::runtime_error("analytics: not a decimal: " + v);
  return v;
}

std::string nullable_string(const Row& row, std::size_t i) {
  if (i >= row.size()) throw std::runtime_error("analytics: missing column");
  return row[i] ? quote(*row[i]) : "null";
}

// A ratio with at most 6 decimals, trailing zeros removed.
std::string ratio(int64_t num, int64_t den) {
  if (den <= 0 || num <= 0) return "0";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6f", static_cast<double>(num) / static_cast<double>(den));
  std::string s = buf;
  while (!s.empty() && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

std::vector<std::string_view> sources_of(const QueryOptions& o) {
  if (o.source) return {*o.source};
  return {kSources.begin(), kSources.end()};
}

struct StageCounts {
  int64_t top_events = 0, top_users = 0, bottom_events = 0, bottom_users = 0, converted = 0;
};

std::string funnel_body(const StageCounts& c) {
  return "\"top\":{\"events\":" + std::to_string(c.top_events) + ",\"users\":" + std::to_string(c.top_users) +
         "},\"bottom\":{\"events\":" + std::to_string(c.bottom_events) + ",\"users\":" +
         std::to_string(c.bottom_users) + "},\"convertedUsers\":" + std::to_string(c.converted) +
         ",\"conversionRate\":" + ratio(c.converted, c.top_users);
}

void expect_results(const std::vector<Rows>& results, std::size_t n) {
  if (results.size() != n) throw std::runtime_error("analytics: unexpected number of results");
}

}  // namespace

std::string render(Endpoint endpoint, const QueryOptions& o, const std::vector<Rows>& results) {
  std::string out;
  switch (endpoint) {
    case Endpoint::stats: {
      expect_results(results, 2);
      int64_t total = 0, facebook = 0, tiktok = 0, top = 0, bottom = 0;
      std::string types;
      for (const auto& row : results[0]) {
        const int64_t n = integer_value(row, 3);
        const std::string& source = cell(row, 0);
        const std::string& stage = cell(row, 1);
        total += n;
        (source == "facebook" ? facebook : tiktok) += n;
        (stage == "top" ? top : bottom) += n;
        if (!types.empty()) types += ',';
        types += "{\"source\":" + quote(source) + ",\"eventType\":" + quote(cell(row, 2)) +
                 ",\"count\":" + std::to_string(n) + "}";
      }
      if (results[1].size() != 1) throw std::runtime_error("analytics: unique users missing");
      out = "{\"total\":" + std::to_string(total) + ",\"uniqueUsers\":" + integer(results[1][0], 0) +
            ",\"bySource\":{\"facebook\":" + std::to_string(facebook) + ",\"tiktok\":" + std::to_string(tiktok) +
            "},\"byFunnelStage\":{\"top\":" + std::to_string(top) + ",\"bottom\":" + std::to_string(bottom) +
            "},\"byEventType\":[" + types + "]}";
      break;
    }
    case Endpoint::timeseries: {
      expect_results(results, 1);
      out = "{\"granularity\":\"" + std::string(granularity_name(o.granularity)) + "\",\"points\":[";
      bool first = true;
      for (const auto& row : results[0]) {
        if (!first) out += ',';
        first = false;
        out += "{\"bucket\":" + quote(cell(row, 0)) + ",\"count\":" + integer(row, 1) + ",\"revenue\":" +
               money(row, 2) + "}";
      }
      out += "]}";
      break;
    }
    case Endpoint::funnel: {
      expect_results(results, 1);
      StageCounts overall;
      std::vector<std::pair<std::string, StageCounts>> by_source;
      for (const auto& row : results[0]) {
        StageCounts c{integer_value(row, 2), integer_value(row, 3), integer_value(row, 4), integer_value(row, 5),
                      integer_value(row, 6)};
        if (cell(row, 0) == "1") overall = c;
        else by_source.emplace_back(cell(row, 1), c);
      }
      out = "{" + funnel_body(overall) + ",\"bySource\":[";
      bool first = true;
      for (auto source : sources_of(o)) {
        StageCounts c;
        for (const auto& [s, counts] : by_source)
          if (s == source) c = counts;
        if (!first) out += ',';
        first = false;
        out += "{\"source\":" + quote(source) + "," + funnel_body(c) + "}";
      }
      out += "]}";
      break;
    }
    case Endpoint::countries: {
      expect_results(results, 1);
      out = "{\"countries\":[";
      bool first = true;
      for (const auto& row : results[0]) {
        if (!first) out += ',';
        first = false;
        out += "{\"country\":" + nullable_string(row, 0) + ",\"events\":" + integer(row, 1) + ",\"users\":" +
               integer(row, 2) + ",\"revenue\":" + money(row, 3) + "}";
      }
      out += "]}";
      break;
    }
    case Endpoint::campaigns_top: {
      expect_results(results, 1);
      out = "{\"campaigns\":[";
      bool first = true;
      for (const auto& row : results[0]) {
        if (!first) out += ',';
        first = false;
        out += "{\"campaignId\":" + quote(cell(row, 0)) + ",\"events\":" + integer(row, 1) + ",\"purchases\":" +
               integer(row, 2) + ",\"revenue\":" + money(row, 3) + "}";
      }
      out += "]}";
      break;
    }
    case Endpoint::users_top: {
      expect_results(results, 1);
      out = "{\"users\":[";
      bool first = true;
      for (const auto& row : results[0]) {
        if (!first) out += ',';
        first = false;
        out += "{\"userId\":" + quote(cell(row, 0)) + ",\"source\":" + quote(cell(row, 1)) + ",\"events\":" +
               integer(row, 2) + ",\"revenue\":" + money(row, 3) + "}";
      }
      out += "]}";
      break;
    }
    case Endpoint::revenue: {
      expect_results(results, 1);
      std::string total = "0.00", purchases = "0", campaigns;
      std::vector<std::pair<std::string, std::string>> by_source;  // source -> entry
      for (const auto& row : results[0]) {
        const bool all_sources = cell(row, 0) == "1", all_campaigns = cell(row, 1) == "1";
        if (all_sources && all_campaigns) {
          total = money(row, 5);
          purchases = integer(row, 4);
        } else if (all_campaigns) {
          by_source.emplace_back(cell(row, 2), "{\"source\":" + quote(cell(row, 2)) + ",\"revenue\":" +
                                                   money(row, 5) + ",\"purchases\":" + integer(row, 4) + "}");
        } else {
          if (!campaigns.empty()) campaigns += ',';
          campaigns += "{\"campaignId\":" + nullable_string(row, 3) + ",\"revenue\":" + money(row, 5) +
                       ",\"purchases\":" + integer(row, 4) + "}";
        }
      }
      // Every source of the filter appears, those without purchases last with 0.
      for (auto source : sources_of(o)) {
        const bool present = std::any_of(by_source.begin(), by_source.end(),
                                         [&](const auto& p) { return p.first == source; });
        if (!present)
          by_source.emplace_back(std::string(source),
                                 "{\"source\":" + quote(source) + ",\"revenue\":0.00,\"purchases\":0}");
      }
      std::string sources;
      for (const auto& [s, entry] : by_source) sources += (sources.empty() ? "" : ",") + entry;
      out = "{\"total\":" + total + ",\"purchases\":" + purchases + ",\"bySource\":[" + sources +
            "],\"byCampaign\":[" + campaigns + "]}";
      break;
    }
  }
  return out;
}

}  // namespace eventhub::analytics
