// serve-analytics against a real PostgreSQL: a deterministic generated dataset is loaded straight into
// `events`, and every endpoint and filter is compared with an independent computation in C++ over the
// same generated data (no SQL). Two databases hold the same events in the two states the read path
// combines: "analytics" with half of them folded into the rollups and half not folded yet (answered
// from raw rows), "analytics_folded" with all of them folded, its hours and days sealed one by one
// from minute rows. Both servers must give byte-identical answers, equal to the independent ones.
// Also: bad parameters, injection attempts, statement timeout, database down, metrics, real responses
// checked against the served OpenAPI document, and `eventhub rollup verify` on both databases.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>

#include "eventhub_process.hpp"
#include "http_client.hpp"
#include "payloads.hpp"
#include "ports.hpp"
#include "postgres_server.hpp"
#include "wait.hpp"

#include <eventhub/pg/connection.hpp>
#include <eventhub/pg/migrations.hpp>
#include <eventhub/rollup/folder.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <ctime>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace json = boost::json;
using namespace eventhub::test;

namespace {

constexpr int64_t kSecond = 1'000'000;
constexpr int64_t kMinute = 60 * kSecond;
constexpr int64_t kHour = 60 * kMinute;
constexpr int64_t kDay = 24 * kHour;

// 2026-01-05T00:00:00Z, computed by hand: 20458 days after the epoch.
constexpr int64_t kT0 = 20458LL * kDay;

std::string iso(int64_t us, bool fraction = true) {
  const std::time_t secs = static_cast<std::time_t>(us >= 0 ? us / kSecond : (us - kSecond + 1) / kSecond);
  const int64_t frac = us - static_cast<int64_t>(secs) * kSecond;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  if (fraction)
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06" PRId64 "Z", tm.tm_year + 1900, tm.tm_mon + 1,
                  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
  else
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                  tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}


struct Ev {
  std::string id, source, stage, type;
  int64_t time = 0;
  std::optional<std::string> user, country, campaign;
  std::optional<int64_t> amount;  // 1/10000 units (numeric(18,4))
};

std::string amount_text(int64_t a) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%" PRId64 ".%04" PRId64, a / 10000, a % 10000);
  return buf;
}

// numeric round(x, 2): half away from zero; amounts here are never negative.
int64_t to_cents(int64_t units) { return (units + 50) / 100; }

struct Dataset {
  std::vector<Ev> events;
};

// Deterministic: mt19937_64 is fully specified; only its raw output is used (no std distributions).
Dataset generate(int64_t now_us) {
  std::mt19937_64 rng(20260105);
  auto below = [&](uint64_t n) { return static_cast<int64_t>(rng() % n); };
  const std::vector<std::optional<std::string>> countries{
      "Côte d'Ivoire", "日本", "Brasil", "United States", "Deutschland", std::nullopt, "Ελλάδα", "Zambia"};
  const std::map<std::pair<std::string, std::string>, std::vector<std::string>> types{
      {{"facebook", "top"}, {"ad.view", "page.like", "comment", "video.view"}},
      {{"facebook", "bottom"}, {"ad.click", "form.submission", "checkout.complete"}},
      {{"tiktok", "top"}, {"video.view", "like", "share", "comment"}},
      {{"tiktok", "bottom"}, {"profile.visit", "purchase", "follow"}}};
  Dataset d;
  auto add = [&](int64_t time, int n) {
    Ev e;
    e.id = "ev-" + std::to_string(n);
    e.source = below(100) < 55 ? "facebook" : "tiktok";
    e.stage = below(100) < 70 ? "top" : "bottom";
    const auto& t = types.at({e.source, e.stage});
    e.type = t[static_cast<std::size_t>(below(static_cast<uint64_t>(t.size())))];
    e.time = time;
    const int64_t u = below(180);
    if (below(100) != 0) e.user = (u % 17 == 0 ? "ユーザー-" : "user-") + std::to_string(u);
    e.country = countries[static_cast<std::size_t>(u % static_cast<int64_t>(countries.size()))];
    if (e.source == "facebook" && e.stage == "bottom") e.campaign = "cmp-" + std::to_string(1 + below(9) * below(3));
    if (e.type == "checkout.complete" || e.type == "purchase" || (e.stage == "bottom" && below(10) == 0)) {
      // Mostly cents; sometimes sub-cent digits so that rounding of the sum is exercised.
      e.amount = below(4) == 0 ? 1 + below(5'000'000) : (1 + below(50'000)) * 100;
    }
    d.events.push_back(std::move(e));
  };
  int n = 0;
  // 3000 events over [T0 - 36h, T0 + 36h), at microsecond resolution.
  for (; n < 3000; ++n) add(kT0 - 36 * kHour + below(72 * kHour), n);
  // Exactly on the boundaries of the main test window and of an hour.
  add(kT0 - 24 * kHour + 7 * kMinute + 13 * kSecond, n++);
  add(kT0 + 12 * kHour, n++);
  add(kT0, n++);
  add(kT0 - 1, n++);
  // Around the real clock, for the default window (to = now, from = now - 168 h).
  for (int i = 0; i < 7; ++i) add(now_us - (i + 1) * 11 * kHour, n++);
  add(now_us - 200 * kHour, n++);  // outside the default window
  return d;
}

struct Filter {
  int64_t from = 0, to = 0;
  std::optional<std::string> source = {}, stage = {}, type = {};
  bool match(const Ev& e) const {
    return e.time >= from && e.time < to && (!source || e.source == *source) && (!stage || e.stage == *stage) &&
           (!type || e.type == *type);
  }
  std::string query() const {
    std::string q = "from=" + url_encode(iso(from)) + "&to=" + url_encode(iso(to));
    if (source) q += "&source=" + *source;
    if (stage) q += "&funnelStage=" + *stage;
    if (type) q += "&eventType=" + *type;
    return q;
  }
};

int64_t cents_of(const json::value& v) { return std::llround(v.to_number<double>() * 100); }

void insert(eventhub::pg::Connection& conn, const std::vector<const Ev*>& events) {
  conn.exec("BEGIN");
  for (const Ev* e : events) {
    conn.exec_params(
        "INSERT INTO events (event_id, source, funnel_stage, event_type, event_time, user_id, country, campaign_id,"
        " purchase_amount, data) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, '{}')",
        {e->id, e->source, e->stage, e->type, iso(e->time), e->user, e->country, e->campaign,
         e->amount ? std::optional<std::string>(amount_text(*e->amount)) : std::nullopt});
  }
  conn.exec("COMMIT");
}

// Folds until nothing is pending (the worker's compactor does the same, step by step).
void fold_all(eventhub::pg::Connection& conn) {
  eventhub::rollup::Folder folder(conn, 1000);
  for (int i = 0; i < 100'000; ++i) {
    const auto r = folder.step();
    REQUIRE(r.locked);
    if (!r.more && r.events == 0) return;
  }
  FAIL("folding did not finish");
}

class Fixture {
 public:
  Fixture() : now_(std::chrono::duration_cast<std::chrono::microseconds>(
                       std::chrono::system_clock::now().time_since_epoch()).count()),
              data_(generate(now_)) {
    std::vector<const Ev*> all, even, odd;
    for (const auto& e : data_.events) {
      all.push_back(&e);
      (all.size() % 2 ? even : odd).push_back(&e);
    }
    // Half folded, half committed after the fold: the answers add raw rows to rollup rows.
    pg_.create_database("analytics");
    url_ = pg_.url("analytics");
    {
      eventhub::pg::Connection conn(url_, 5000);
      eventhub::pg::migrate(conn);
      insert(conn, even);
      fold_all(conn);
      insert(conn, odd);
      conn.exec("ANALYZE events");
    }
    // All folded, with no hour or day sealed before the data: every hour and day row is built from
    // minute rows by the seal steps.
    pg_.create_database("analytics_folded");
    folded_url_ = pg_.url("analytics_folded");
    {
      eventhub::pg::Connection conn(folded_url_, 5000);
      eventhub::pg::migrate(conn);
      conn.exec("UPDATE rollup_state SET hours_sealed_before = '" + iso(kT0 - 4 * kDay) +
                "', days_sealed_before = '" + iso(kT0 - 4 * kDay) + "'");
      insert(conn, all);
      fold_all(conn);
      conn.exec("ANALYZE events");
    }
    port_ = free_port();
    process_ = start(url_, port_);
    folded_port_ = free_port();
    folded_process_ = start(folded_url_, folded_port_);
  }

  static std::unique_ptr<EventhubProcess> start(const std::string& url, uint16_t port) {
    auto p = std::make_unique<EventhubProcess>(std::vector<std::string>{
        "serve-analytics", "--host", "127.0.0.1", "--port", std::to_string(port), "--database-url", url,
        "--log-level", "warn", "--db-pool-max", "4", "--db-pool-min", "1", "--query-threads", "4"});
    p->wait_ready(port, std::chrono::seconds(20), "/health/readiness");
    return p;
  }

  // The answer of the half-folded database; the fully folded one must give the same body.
  json::value get_json(const std::string& target, int expected_status = 200) {
    const auto r = http_get(port_, target);
    INFO(target << " -> " << r.status << " " << r.body);
    REQUIRE(r.status == expected_status);
    REQUIRE(r.header("content-type").value_or("").find("application/json") == 0);
    if (folded_process_) {
      const auto f = http_get(folded_port_, target);
      INFO("fully folded database -> " << f.status << " " << f.body);
      CHECK(f.status == r.status);
      CHECK(f.body == r.body);
    }
    return json::parse(r.body);
  }

  PostgresServer pg_;
  int64_t now_;
  Dataset data_;
  std::string url_, folded_url_;
  uint16_t port_ = 0, folded_port_ = 0;
  std::unique_ptr<EventhubProcess> process_, folded_process_;
};

Fixture& fx() {
  static Fixture f;
  return f;
}

// The main window: unaligned start (tests bucket flooring), end on an hour.
Filter main_window() { return {kT0 - 24 * kHour + 7 * kMinute + 13 * kSecond, kT0 + 12 * kHour}; }

std::vector<Filter> filters() {
  std::vector<Filter> out;
  const Filter w = main_window();
  out.push_back(w);
  Filter f = w;
  f.source = "facebook";
  out.push_back(f);
  f = w;
  f.source = "tiktok";
  f.stage = "bottom";
  out.push_back(f);
  f = w;
  f.type = "purchase";
  out.push_back(f);
  f = w;
  f.stage = "top";
  f.type = "comment";
  out.push_back(f);
  out.push_back({kT0 - 36 * kHour, kT0 + 36 * kHour});  // everything generated around T0
  out.push_back({kT0 - 100 * kDay, kT0 - 99 * kDay});   // empty
  return out;
}

std::vector<const Ev*> matching(const Filter& f) {
  std::vector<const Ev*> out;
  for (const auto& e : fx().data_.events)
    if (f.match(e)) out.push_back(&e);
  return out;
}

}  // namespace

TEST_CASE("stats match an independent count", "[analytics]") {
  for (const auto& f : filters()) {
    INFO(f.query());
    const auto v = fx().get_json("/analytics/stats?" + f.query());
    const auto evs = matching(f);
    std::set<std::string> users;
    std::map<std::string, int64_t> by_source{{"facebook", 0}, {"tiktok", 0}}, by_stage{{"top", 0}, {"bottom", 0}};
    std::map<std::pair<std::string, std::string>, int64_t> by_type;
    for (const Ev* e : evs) {
      if (e->user) users.insert(*e->user);
      ++by_source[e->source];
      ++by_stage[e->stage];
      ++by_type[{e->source, e->type}];
    }
    CHECK(v.at("total").as_int64() == static_cast<int64_t>(evs.size()));
    CHECK(v.at("uniqueUsers").as_int64() == static_cast<int64_t>(users.size()));
    for (const auto& [s, n] : by_source) CHECK(v.at("bySource").at(s).as_int64() == n);
    for (const auto& [s, n] : by_stage) CHECK(v.at("byFunnelStage").at(s).as_int64() == n);
    // Order: source, count descending, event type.
    std::vector<std::tuple<std::string, int64_t, std::string>> expected;
    for (const auto& [k, n] : by_type) expected.emplace_back(k.first, -n, k.second);
    std::sort(expected.begin(), expected.end());
    const auto& arr = v.at("byEventType").as_array();
    REQUIRE(arr.size() == expected.size());
    for (std::size_t i = 0; i < arr.size(); ++i) {
      CHECK(arr[i].at("source").as_string() == std::get<0>(expected[i]));
      CHECK(arr[i].at("count").as_int64() == -std::get<1>(expected[i]));
      CHECK(arr[i].at("eventType").as_string() == std::get<2>(expected[i]));
    }
  }
  SECTION("the window is half-open: an event exactly at from counts, one exactly at to does not") {
    const int64_t at = kT0;
    const auto one = fx().get_json("/analytics/stats?from=" + url_encode(iso(at)) + "&to=" + url_encode(iso(at + 1)));
    CHECK(one.at("total").as_int64() == 1);
    const auto none = fx().get_json("/analytics/stats?from=" + url_encode(iso(at - 1)) + "&to=" + url_encode(iso(at)));
    CHECK(none.at("total").as_int64() == 1);  // the event at T0 - 1 µs, not the one at T0
  }
  SECTION("without from/to the default window is the last 168 hours") {
    Filter f{fx().now_ - 168 * kHour - 60 * kSecond, fx().now_ + 60 * kSecond};
    const auto v = fx().get_json("/analytics/stats");
    CHECK(v.at("total").as_int64() == static_cast<int64_t>(matching(f).size()));
    CHECK(v.at("total").as_int64() == 7);
  }
  SECTION("offsets in from/to are honoured") {
    const auto a = fx().get_json("/analytics/stats?from=2026-01-04T02:00:00%2B02:00&to=2026-01-05T00:00:00Z");
    const auto b = fx().get_json("/analytics/stats?from=2026-01-04T00:00:00Z&to=2026-01-04T19:00:00-05:00");
    CHECK(a.at("total").as_int64() == static_cast<int64_t>(matching({kT0 - 24 * kHour, kT0}).size()));
    CHECK(b.at("total").as_int64() == a.at("total").as_int64());
  }
}

TEST_CASE("timeseries buckets every minute/hour/day of the window, gaps filled with zero", "[analytics]") {
  for (const auto& f : filters()) {
    for (auto [name, step] : {std::pair<const char*, int64_t>{"minute", kMinute}, {"hour", kHour}, {"day", kDay}}) {
      INFO(f.query() << " granularity " << name);
      const auto v = fx().get_json("/analytics/timeseries?granularity=" + std::string(name) + "&" + f.query());
      CHECK(v.at("granularity").as_string() == name);
      const int64_t first = f.from / step * step;  // dates here are after 1970: plain division floors
      struct Point {
        int64_t count = 0, revenue = 0;
        std::set<std::string> users;
      };
      std::map<int64_t, Point> buckets;  // start -> count, revenue units, distinct users
      for (int64_t b = first; b < f.to; b += step) buckets[b] = {};
      for (const Ev* e : matching(f)) {
        auto& b = buckets.at(e->time / step * step);
        ++b.count;
        b.revenue += e->amount.value_or(0);
        if (e->user) b.users.insert(*e->user);
      }
      const auto& points = v.at("points").as_array();
      REQUIRE(points.size() == buckets.size());
      std::size_t i = 0;
      for (const auto& [start, p] : buckets) {
        CHECK(points[i].at("bucket").as_string() == iso(start, false));
        CHECK(points[i].at("count").as_int64() == p.count);
        CHECK(cents_of(points[i].at("revenue")) == to_cents(p.revenue));
        CHECK(points[i].at("users").as_int64() == static_cast<int64_t>(p.users.size()));
        ++i;
      }
    }
  }
}

TEST_CASE("funnel: stage counts, converted users and rate, overall and by source", "[analytics]") {
  for (const auto& base : filters()) {
    Filter f{base.from, base.to, base.source};  // the funnel takes only from/to/source
    INFO(f.query());
    const auto v = fx().get_json("/analytics/funnel?" + f.query());
    struct Counts {
      int64_t top_events = 0, bottom_events = 0;
      std::set<std::string> top_users, bottom_users;
    };
    auto check = [](const json::value& got, const Counts& c) {
      CHECK(got.at("top").at("events").as_int64() == c.top_events);
      CHECK(got.at("bottom").at("events").as_int64() == c.bottom_events);
      CHECK(got.at("top").at("users").as_int64() == static_cast<int64_t>(c.top_users.size()));
      CHECK(got.at("bottom").at("users").as_int64() == static_cast<int64_t>(c.bottom_users.size()));
      int64_t converted = 0;
      for (const auto& u : c.top_users) converted += c.bottom_users.count(u);
      CHECK(got.at("convertedUsers").as_int64() == converted);
      const double rate = c.top_users.empty() ? 0.0 : static_cast<double>(converted) / c.top_users.size();
      CHECK(got.at("conversionRate").to_number<double>() == Approx(rate).margin(1e-6));
    };
    Counts all;
    std::map<std::string, Counts> by_source;
    for (const Ev* e : matching(f)) {
      for (Counts* c : {&all, &by_source[e->source]}) {
        (e->stage == "top" ? c->top_events : c->bottom_events)++;
        if (e->user) (e->stage == "top" ? c->top_users : c->bottom_users).insert(*e->user);
      }
    }
    check(v, all);
    const auto& arr = v.at("bySource").as_array();
    const std::vector<std::string> sources =
        f.source ? std::vector<std::string>{*f.source} : std::vector<std::string>{"facebook", "tiktok"};
    REQUIRE(arr.size() == sources.size());
    for (std::size_t i = 0; i < sources.size(); ++i) {
      CHECK(arr[i].at("source").as_string() == sources[i]);
      check(arr[i], by_source[sources[i]]);
    }
  }
}

TEST_CASE("countries: events, users, revenue; null country grouped; unicode names intact", "[analytics]") {
  bool saw_unicode = false, saw_null = false;
  for (const auto& f : filters()) {
    INFO(f.query());
    const auto v = fx().get_json("/analytics/countries?" + f.query());
    struct C {
      int64_t events = 0, revenue = 0;
      std::set<std::string> users;
    };
    std::map<std::optional<std::string>, C> by;
    for (const Ev* e : matching(f)) {
      auto& c = by[e->country];
      ++c.events;
      c.revenue += e->amount.value_or(0);
      if (e->user) c.users.insert(*e->user);
    }
    // events descending, then country (bytes) ascending, null last
    std::vector<std::pair<std::optional<std::string>, C>> expected(by.begin(), by.end());
    std::sort(expected.begin(), expected.end(), [](const auto& a, const auto& b) {
      if (a.second.events != b.second.events) return a.second.events > b.second.events;
      if (!a.first || !b.first) return a.first.has_value() && !b.first.has_value();
      return *a.first < *b.first;
    });
    const auto& arr = v.at("countries").as_array();
    REQUIRE(arr.size() == expected.size());
    for (std::size_t i = 0; i < arr.size(); ++i) {
      const auto& [country, c] = expected[i];
      if (country) {
        REQUIRE(arr[i].at("country").is_string());
        CHECK(arr[i].at("country").as_string() == *country);
        saw_unicode |= *country == "日本" || *country == "Côte d'Ivoire";
      } else {
        CHECK(arr[i].at("country").is_null());
        saw_null = true;
      }
      CHECK(arr[i].at("events").as_int64() == c.events);
      CHECK(arr[i].at("users").as_int64() == static_cast<int64_t>(c.users.size()));
      CHECK(cents_of(arr[i].at("revenue")) == to_cents(c.revenue));
    }
  }
  CHECK(saw_unicode);
  CHECK(saw_null);
  // limit keeps the first countries of the same order
  const auto all = fx().get_json("/analytics/countries?" + main_window().query());
  const auto top3 = fx().get_json("/analytics/countries?limit=3&" + main_window().query());
  REQUIRE(all.at("countries").as_array().size() > 3);
  REQUIRE(top3.at("countries").as_array().size() == 3);
  for (std::size_t i = 0; i < 3; ++i) CHECK(top3.at("countries").at(i) == all.at("countries").at(i));
}

TEST_CASE("top campaigns and top users by events and revenue, with limits", "[analytics]") {
  for (const auto& f : filters()) {
    for (const std::string by : {"events", "revenue"}) {
      for (int limit : {1, 3, 10, 1000}) {
        INFO(f.query() << " by=" << by << " limit=" << limit);
        // campaigns
        struct Agg {
          int64_t events = 0, purchases = 0, revenue = 0;
        };
        std::map<std::string, Agg> campaigns;
        std::map<std::pair<std::string, std::string>, Agg> users;  // (user, source)
        for (const Ev* e : matching(f)) {
          if (e->campaign) {
            auto& a = campaigns[*e->campaign];
            ++a.events;
            a.purchases += e->amount.has_value();
            a.revenue += e->amount.value_or(0);
          }
          if (e->user) {
            auto& a = users[{*e->user, e->source}];
            ++a.events;
            a.revenue += e->amount.value_or(0);
          }
        }
        auto rank = [&](const Agg& a, const Agg& b) {
          // revenue ranks by the exact sum, then events; events ranks by events only
          if (by == "revenue" && a.revenue != b.revenue) return a.revenue > b.revenue ? -1 : 1;
          if (a.events != b.events) return a.events > b.events ? -1 : 1;
          return 0;
        };
        std::vector<std::pair<std::string, Agg>> ec(campaigns.begin(), campaigns.end());
        std::stable_sort(ec.begin(), ec.end(), [&](const auto& a, const auto& b) { return rank(a.second, b.second) < 0; });
        if (ec.size() > static_cast<std::size_t>(limit)) ec.resize(static_cast<std::size_t>(limit));
        const auto vc = fx().get_json("/analytics/campaigns/top?by=" + by + "&limit=" + std::to_string(limit) + "&" +
                                      f.query());
        const auto& ca = vc.at("campaigns").as_array();
        REQUIRE(ca.size() == ec.size());
        for (std::size_t i = 0; i < ca.size(); ++i) {
          CHECK(ca[i].at("campaignId").as_string() == ec[i].first);
          CHECK(ca[i].at("events").as_int64() == ec[i].second.events);
          CHECK(ca[i].at("purchases").as_int64() == ec[i].second.purchases);
          CHECK(cents_of(ca[i].at("revenue")) == to_cents(ec[i].second.revenue));
        }
        std::vector<std::pair<std::pair<std::string, std::string>, Agg>> eu(users.begin(), users.end());
        std::stable_sort(eu.begin(), eu.end(), [&](const auto& a, const auto& b) { return rank(a.second, b.second) < 0; });
        if (eu.size() > static_cast<std::size_t>(limit)) eu.resize(static_cast<std::size_t>(limit));
        const auto vu =
            fx().get_json("/analytics/users/top?by=" + by + "&limit=" + std::to_string(limit) + "&" + f.query());
        const auto& ua = vu.at("users").as_array();
        REQUIRE(ua.size() == eu.size());
        for (std::size_t i = 0; i < ua.size(); ++i) {
          CHECK(ua[i].at("userId").as_string() == eu[i].first.first);
          CHECK(ua[i].at("source").as_string() == eu[i].first.second);
          CHECK(ua[i].at("events").as_int64() == eu[i].second.events);
          CHECK(cents_of(ua[i].at("revenue")) == to_cents(eu[i].second.revenue));
        }
      }
    }
  }
  // Default limit is 10.
  CHECK(fx().get_json("/analytics/users/top?" + main_window().query()).at("users").as_array().size() == 10);
}

TEST_CASE("revenue: total, purchases, by source and by campaign to the cent", "[analytics]") {
  for (const auto& f : filters()) {
    INFO(f.query());
    const auto v = fx().get_json("/analytics/revenue?" + f.query());
    int64_t total = 0, purchases = 0;
    std::map<std::string, std::pair<int64_t, int64_t>> by_source{{"facebook", {0, 0}}, {"tiktok", {0, 0}}};
    std::map<std::optional<std::string>, std::pair<int64_t, int64_t>> by_campaign;  // revenue, purchases
    for (const Ev* e : matching(f)) {
      if (!e->amount) continue;
      total += *e->amount;
      ++purchases;
      by_source[e->source].first += *e->amount;
      ++by_source[e->source].second;
      by_campaign[e->campaign].first += *e->amount;
      ++by_campaign[e->campaign].second;
    }
    CHECK(cents_of(v.at("total")) == to_cents(total));
    CHECK(v.at("purchases").as_int64() == purchases);
    std::map<std::string, std::pair<int64_t, int64_t>> got_sources;
    for (const auto& s : v.at("bySource").as_array())
      got_sources[std::string(s.at("source").as_string())] = {cents_of(s.at("revenue")), s.at("purchases").as_int64()};
    for (const auto& [s, rp] : by_source) {
      if (f.source && *f.source != s) {
        CHECK(got_sources.count(s) == 0);
        continue;
      }
      REQUIRE(got_sources.count(s) == 1);
      CHECK(got_sources[s].first == to_cents(rp.first));
      CHECK(got_sources[s].second == rp.second);
    }
    // by campaign: revenue descending, purchases descending, id ascending, null last
    std::vector<std::pair<std::optional<std::string>, std::pair<int64_t, int64_t>>> ec(by_campaign.begin(),
                                                                                       by_campaign.end());
    std::sort(ec.begin(), ec.end(), [](const auto& a, const auto& b) {
      if (a.second.first != b.second.first) return a.second.first > b.second.first;
      if (a.second.second != b.second.second) return a.second.second > b.second.second;
      if (!a.first || !b.first) return a.first.has_value() && !b.first.has_value();
      return *a.first < *b.first;
    });
    const auto& arr = v.at("byCampaign").as_array();
    REQUIRE(arr.size() == ec.size());
    int64_t sum = 0;
    for (std::size_t i = 0; i < arr.size(); ++i) {
      if (ec[i].first) CHECK(arr[i].at("campaignId").as_string() == *ec[i].first);
      else CHECK(arr[i].at("campaignId").is_null());
      CHECK(cents_of(arr[i].at("revenue")) == to_cents(ec[i].second.first));
      CHECK(arr[i].at("purchases").as_int64() == ec[i].second.second);
      sum += ec[i].second.first;
    }
    CHECK(sum == total);
  }
}

TEST_CASE("bad parameters answer 400 naming the parameter", "[analytics]") {
  const std::vector<std::pair<std::string, std::string>> cases{
      {"/analytics/stats?from=yesterday", "from"},
      {"/analytics/stats?to=2026-01-01", "to"},
      {"/analytics/stats?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z", "from"},
      {"/analytics/stats?source=twitter", "source"},
      {"/analytics/countries?funnelStage=middle", "funnelStage"},
      {"/analytics/revenue?eventType=buy", "eventType"},
      {"/analytics/timeseries?granularity=week", "granularity"},
      {"/analytics/timeseries?granularity=minute&from=2020-01-01T00:00:00Z&to=2026-01-01T00:00:00Z", "granularity"},
      {"/analytics/campaigns/top?limit=0", "limit"},
      {"/analytics/campaigns/top?limit=1001", "limit"},
      {"/analytics/users/top?limit=ten", "limit"},
      {"/analytics/users/top?by=clicks", "by"},
      {"/analytics/stats?limit=5", "limit"},
      {"/analytics/funnel?funnelStage=top", "funnelStage"},
      {"/analytics/stats?sauce=tiktok", "sauce"},
      {"/analytics/stats?source=tiktok&source=facebook", "source"},
      {"/analytics/stats?from=%ZZ", "from"},
  };
  for (const auto& [target, param] : cases) {
    INFO(target);
    const auto v = fx().get_json(target, 400);
    CHECK(v.at("statusCode").as_int64() == 400);
    CHECK(v.at("error").as_string() == "Bad Request");
    const std::string message(v.at("message").as_string());
    CHECK(message.find(param) != std::string::npos);
    CHECK(v.at("details").at("parameter").as_string() == param);
  }
}

TEST_CASE("injection attempts are rejected and change nothing", "[analytics]") {
  auto& f = fx();
  const std::string before = f.pg_.query_scalar("analytics", "SELECT count(*) || ':' || sum(hashtext(event_id)) FROM events");
  for (const std::string& target : std::vector<std::string>{
           "/analytics/stats?source=" + url_encode("facebook' OR '1'='1"),
        "/analytics/countries?eventType=" + url_encode("ad.view'; DROP TABLE events; --"),
        "/analytics/users/top?limit=" + url_encode("1; DELETE FROM events"),
        "/analytics/campaigns/top?by=" + url_encode("events DESC; TRUNCATE events; --"),
        "/analytics/timeseries?granularity=" + url_encode("hour') FROM events; DELETE FROM events; --"),
        "/analytics/revenue?from=" + url_encode("2026-01-01T00:00:00Z'::timestamptz; DELETE FROM events; --"),
        "/analytics/stats?" + url_encode("source' OR 1=1 --") + "=x"}) {
    INFO(target);
    CHECK(http_get(f.port_, target).status == 400);
  }
  CHECK(f.pg_.query_scalar("analytics", "SELECT count(*) || ':' || sum(hashtext(event_id)) FROM events") == before);
  // Read-only sessions: even a statement that slipped through could not write.
  CHECK(f.pg_.query_scalar("analytics", "SELECT count(*) FROM events") == std::to_string(f.data_.events.size()));
}

namespace {

// A minimal OpenAPI 3.0 schema check: $ref, type (with nullable), required, properties, items, enum.
void check_schema(const json::value& doc, const json::value& schema, const json::value& v, const std::string& path) {
  INFO(path);
  const json::object* s = &schema.as_object();
  while (s->contains("$ref")) {
    const std::string ref(s->at("$ref").as_string());
    REQUIRE(ref.rfind("#/components/schemas/", 0) == 0);
    s = &doc.at("components").at("schemas").at(ref.substr(21)).as_object();
  }
  if (v.is_null()) {
    CHECK((s->contains("nullable") && s->at("nullable").as_bool()));
    return;
  }
  const std::string type = s->contains("type") ? std::string(s->at("type").as_string()) : "";
  if (type == "object") {
    REQUIRE(v.is_object());
    if (s->contains("required"))
      for (const auto& r : s->at("required").as_array()) CHECK(v.as_object().contains(r.as_string()));
    if (s->contains("properties"))
      for (const auto& [k, sub] : s->at("properties").as_object())
        if (v.as_object().contains(k)) check_schema(doc, sub, v.at(k), path + "." + std::string(k));
  } else if (type == "array") {
    REQUIRE(v.is_array());
    std::size_t i = 0;
    for (const auto& item : v.as_array()) check_schema(doc, s->at("items"), item, path + "[" + std::to_string(i++) + "]");
  } else if (type == "integer") {
    CHECK((v.is_int64() || v.is_uint64()));
  } else if (type == "number") {
    CHECK(v.is_number());
  } else if (type == "string") {
    CHECK(v.is_string());
  }
  if (s->contains("enum")) {
    bool found = false;
    for (const auto& e : s->at("enum").as_array()) found |= e == v;
    CHECK(found);
  }
}

void check_against_doc(const json::value& doc, const std::string& target, uint16_t port) {
  const auto r = http_get(port, target);
  INFO(target << " -> " << r.status << " " << r.body);
  const std::string path = target.substr(0, target.find('?'));
  const auto& responses = doc.at("paths").at(path).at("get").at("responses").as_object();
  const std::string status = std::to_string(r.status);
  REQUIRE(responses.contains(status));
  check_schema(doc, responses.at(status).at("content").at("application/json").at("schema"), json::parse(r.body), path);
}

}  // namespace

TEST_CASE("real responses conform to the served OpenAPI document", "[analytics]") {
  auto& f = fx();
  const auto doc = f.get_json("/api-json");
  CHECK(doc.at("paths").as_object().size() == 7);
  const auto page = http_get(f.port_, "/api");
  CHECK(page.status == 200);
  CHECK(page.body.find("swagger-ui") != std::string::npos);
  const std::string w = main_window().query();
  for (const std::string& target : std::vector<std::string>{
           "/analytics/stats?" + w, "/analytics/timeseries?granularity=hour&" + w, "/analytics/funnel?" + w,
        "/analytics/countries?" + w, "/analytics/campaigns/top?by=revenue&" + w, "/analytics/users/top?" + w,
        "/analytics/revenue?" + w, "/analytics/revenue?source=tiktok&" + w, "/analytics/stats?source=bad",
        "/analytics/users/top?limit=0", "/analytics/countries?from=2000-01-01T00:00:00Z&to=2000-01-02T00:00:00Z"})
    check_against_doc(doc, target, f.port_);
  // Every documented parameter is accepted by the server (and nothing else: see the 400 test).
  for (const auto& [path, item] : doc.at("paths").as_object()) {
    for (const auto& p : item.at("get").at("parameters").as_array()) {
      const auto& schema = p.at("schema");
      std::string value = schema.as_object().contains("enum") ? std::string(schema.at("enum").at(0).as_string())
                          : schema.at("type").as_string() == "integer" ? "5"
                                                                       : "2026-01-04T12:00:00Z";
      if (p.at("name").as_string() == "to") value = "2026-01-05T12:00:00Z";
      const std::string target = std::string(path) + "?" + std::string(p.at("name").as_string()) + "=" + value +
                                 (p.at("name").as_string() == "from" ? "&to=2026-01-05T12:00:00Z" : "");
      INFO(target);
      CHECK(http_get(f.port_, target).status == 200);
    }
  }
}

TEST_CASE("rollup verify: both databases' rollups equal a recomputation from their events", "[analytics]") {
  auto& f = fx();
  for (const auto* url : {&f.url_, &f.folded_url_}) {
    INFO(*url);
    EventhubProcess verify({"rollup", "verify", "--database-url", *url, "--progress", "none"});
    CHECK(verify.wait_exit(std::chrono::seconds(60)) == 0);
  }
  // The half-folded one holds unfolded events, and the answers counted them all (tests above).
  CHECK(std::stoll(f.pg_.query_scalar("analytics", "SELECT count(*) FROM events e, rollup_state s WHERE e.tx >= s.folded_below")) > 0);
  CHECK(f.pg_.query_scalar("analytics_folded", "SELECT count(*) FROM events e, rollup_state s WHERE e.tx >= s.folded_below") == "0");
}

TEST_CASE("metrics count queries and errors by endpoint", "[analytics]") {
  auto& f = fx();
  f.get_json("/analytics/funnel?" + main_window().query());
  f.get_json("/analytics/funnel?source=x", 400);
  const auto m = http_get(f.port_, "/metrics");
  REQUIRE(m.status == 200);
  CHECK(m.body.find("eventhub_analytics_query_duration_seconds_count{endpoint=\"funnel\"}") != std::string::npos);
  CHECK(m.body.find("eventhub_analytics_query_errors_total{endpoint=\"funnel\",kind=\"bad_request\"}") !=
        std::string::npos);
  CHECK(m.body.find("eventhub_db_pool_connections{pool=\"analytics\"") != std::string::npos);
}

TEST_CASE("a query over the statement timeout answers 503 and the pool stays usable", "[analytics]") {
  auto& f = fx();
  // A second server with a 300 ms statement timeout. The query is made slow without pg_sleep: another
  // session holds an ACCESS EXCLUSIVE lock on events, so the SELECT waits until the timeout cancels it.
  const uint16_t port = free_port();
  EventhubProcess slow({"serve-analytics", "--host", "127.0.0.1", "--port", std::to_string(port), "--database-url",
                        f.url_, "--log-level", "error", "--statement-timeout-ms", "300", "--db-pool-max", "2",
                        "--db-pool-min", "1", "--query-threads", "2"});
  slow.wait_ready(port, std::chrono::seconds(20), "/health/readiness");
  const std::string target = "/analytics/stats?" + main_window().query();
  CHECK(http_get(port, target).status == 200);
  {
    eventhub::pg::Connection locker(f.url_, 5000);
    locker.exec("BEGIN; LOCK TABLE events IN ACCESS EXCLUSIVE MODE");
    for (int i = 0; i < 3; ++i) {  // more requests than connections: every connection hits the timeout
      const auto r = http_get(port, target);
      INFO(r.body);
      CHECK(r.status == 503);
      CHECK(r.body.find("statement timeout") != std::string::npos);
      CHECK(r.header("retry-after").has_value());
    }
    locker.exec("ROLLBACK");
  }
  const auto after = http_get(port, target);
  CHECK(after.status == 200);
  CHECK(json::parse(after.body).at("total").as_int64() == static_cast<int64_t>(matching(main_window()).size()));
  const auto m = http_get(port, "/metrics");
  CHECK(m.body.find("eventhub_analytics_query_errors_total{endpoint=\"stats\",kind=\"timeout\"} 3") !=
        std::string::npos);
  CHECK(slow.stop() == 0);
}

// Last (Catch2 runs test cases in declaration order): it stops the shared database.
TEST_CASE("database down answers 503 and readiness fails; both recover", "[analytics]") {
  auto& f = fx();
  const std::string target = "/analytics/revenue?" + main_window().query();
  REQUIRE(http_get(f.port_, target).status == 200);
  f.pg_.stop_fast();
  const auto r = http_get(f.port_, target, std::chrono::seconds(15));
  CHECK(r.status == 503);
  CHECK(json::parse(r.body).at("statusCode").as_int64() == 503);
  CHECK(wait_until(std::chrono::seconds(10), [&] { return http_get(f.port_, "/health/readiness").status == 503; }));
  f.pg_.start();
  CHECK(wait_until(std::chrono::seconds(15), [&] { return http_get(f.port_, "/health/readiness").status == 200; }));
  CHECK(wait_until(std::chrono::seconds(15), [&] { return http_get(f.port_, target).status == 200; }));
  CHECK(f.process_->stop() == 0);
  CHECK(f.folded_process_->stop() == 0);
}
