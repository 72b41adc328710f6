#include <eventhub/analytics/openapi.hpp>
#include <eventhub/analytics/query.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <catch2/catch.hpp>

#include <regex>
#include <set>

using namespace eventhub::analytics;
using eventhub::http::parse_query;

namespace {
constexpr int64_t kHourUs = 3'600'000'000LL;
const int64_t kNow = *parse_rfc3339("2026-03-10T12:30:00Z");

ParseResult parse(Endpoint e, const std::string& query) {
  return parse_options(e, parse_query("/x?" + query), kNow, std::chrono::hours(168));
}

std::string error_param(Endpoint e, const std::string& query) {
  const auto r = parse(e, query);
  REQUIRE(r.error);
  CHECK_FALSE(r.options);
  return r.error->parameter;
}

int max_placeholder(const std::string& sql) {
  int max = 0;
  static const std::regex re(R"(\$(\d+))");
  for (auto it = std::sregex_iterator(sql.begin(), sql.end(), re); it != std::sregex_iterator(); ++it)
    max = std::max(max, std::stoi((*it)[1]));
  return max;
}
}  // namespace

TEST_CASE("RFC 3339 timestamps parse to UTC microseconds", "[analytics]") {
  CHECK(parse_rfc3339("1970-01-01T00:00:00Z") == 0);
  CHECK(parse_rfc3339("1970-01-01T00:00:01.5Z") == 1'500'000);
  CHECK(parse_rfc3339("1970-01-01t00:00:00.123456789z") == 123'456);
  CHECK(parse_rfc3339("1970-01-01T01:00:00+01:00") == 0);
  CHECK(parse_rfc3339("1969-12-31T19:00:00-05:00") == 0);
  CHECK(parse_rfc3339("2024-02-29T00:00:00Z").has_value());
  CHECK(*parse_rfc3339("2026-01-02T03:04:05Z") - *parse_rfc3339("2026-01-01T03:04:05Z") == 24 * kHourUs);
  for (const char* bad : {"", "2026-01-01", "2026-01-01T00:00:00", "2026-01-01 00:00:00Z", "2025-02-29T00:00:00Z",
                          "2026-13-01T00:00:00Z", "2026-01-32T00:00:00Z", "2026-01-01T24:00:00Z",
                          "2026-01-01T00:60:00Z", "2026-01-01T00:00:60Z", "2026-01-01T00:00:00.Z",
                          "2026-01-01T00:00:00+0100", "2026-01-01T00:00:00Zjunk", "0000-01-01T00:00:00Z",
                          "2026-01-01T00:00:00.1234567890Z", "now", "1700000000"})
    CHECK_FALSE(parse_rfc3339(bad).has_value());
}

TEST_CASE("timestamps format back to RFC 3339 UTC", "[analytics]") {
  CHECK(format_rfc3339(0) == "1970-01-01T00:00:00.000000Z");
  CHECK(format_rfc3339(-1) == "1969-12-31T23:59:59.999999Z");
  CHECK(format_rfc3339(*parse_rfc3339("2024-02-29T23:59:59.25+00:00"), false) == "2024-02-29T23:59:59Z");
  for (const char* s : {"2026-03-10T12:30:00.000001Z", "1999-12-31T23:59:59.999999Z", "2100-02-28T00:00:00.000000Z"})
    CHECK(format_rfc3339(*parse_rfc3339(s)) == s);
}

TEST_CASE("bucket count floors from to the granularity and stops before to", "[analytics]") {
  const int64_t from = *parse_rfc3339("2026-01-01T10:30:00Z");
  CHECK(bucket_count(Granularity::hour, from, from + kHourUs) == 2);  // 10:00, 11:00
  CHECK(bucket_count(Granularity::hour, from - 30 * 60'000'000LL, from + 30 * 60'000'000LL) == 1);
  CHECK(bucket_count(Granularity::minute, from, from + 1) == 1);
  CHECK(bucket_count(Granularity::day, from, from + 24 * kHourUs) == 2);
  CHECK(bucket_count(Granularity::day, from, from) == 0);
}

TEST_CASE("window defaults and order", "[analytics]") {
  auto r = parse(Endpoint::stats, "");
  REQUIRE(r.options);
  CHECK(r.options->to_us == kNow);
  CHECK(r.options->from_us == kNow - 168 * kHourUs);
  r = parse(Endpoint::stats, "to=2026-01-10T00:00:00Z");
  REQUIRE(r.options);
  CHECK(r.options->from_us == *parse_rfc3339("2026-01-03T00:00:00Z"));
  r = parse(Endpoint::stats, "from=2026-03-10T00:00:00Z");
  REQUIRE(r.options);
  CHECK(r.options->to_us == kNow);
  CHECK(error_param(Endpoint::stats, "from=2026-03-11T00:00:00Z") == "from");  // after default to (now)
  CHECK(error_param(Endpoint::stats, "from=2026-01-01T00:00:00Z&to=2026-01-01T00:00:00Z") == "from");
  CHECK(error_param(Endpoint::stats, "from=yesterday") == "from");
  CHECK(error_param(Endpoint::stats, "to=2026-01-01") == "to");
}

TEST_CASE("enumerated filters accept only their values", "[analytics]") {
  auto r = parse(Endpoint::countries, "source=tiktok&funnelStage=bottom&eventType=purchase");
  REQUIRE(r.options);
  CHECK(r.options->source == "tiktok");
  CHECK(r.options->funnel_stage == "bottom");
  CHECK(r.options->event_type == "purchase");
  CHECK(error_param(Endpoint::stats, "source=twitter") == "source");
  CHECK(error_param(Endpoint::stats, "source=") == "source");
  CHECK(error_param(Endpoint::stats, "source=Facebook") == "source");
  CHECK(error_param(Endpoint::stats, "source=facebook'%20OR%20'1'%3D'1") == "source");
  CHECK(error_param(Endpoint::stats, "funnelStage=middle") == "funnelStage");
  CHECK(error_param(Endpoint::stats, "eventType=ad.view;DROP%20TABLE%20events") == "eventType");
  CHECK(error_param(Endpoint::timeseries, "granularity=week") == "granularity");
  CHECK(error_param(Endpoint::users_top, "by=clicks") == "by");
  CHECK(parse(Endpoint::timeseries, "granularity=day").options->granularity == Granularity::day);
  CHECK(parse(Endpoint::timeseries, "").options->granularity == Granularity::hour);
  CHECK(parse(Endpoint::campaigns_top, "by=revenue").options->by == TopBy::revenue);
}

TEST_CASE("limit is an integer from 1 to 1000, default 10", "[analytics]") {
  CHECK(parse(Endpoint::users_top, "").options->limit == 10);
  CHECK(parse(Endpoint::users_top, "limit=1").options->limit == 1);
  CHECK(parse(Endpoint::users_top, "limit=1000").options->limit == 1000);
  for (const char* bad : {"limit=0", "limit=1001", "limit=-1", "limit=abc", "limit=10x", "limit=", "limit=1.5",
                          "limit=99999999999999999999", "limit=%2B5"})
    CHECK(error_param(Endpoint::campaigns_top, bad) == "limit");
}

TEST_CASE("unknown, repeated and badly encoded parameters are rejected by name", "[analytics]") {
  CHECK(error_param(Endpoint::stats, "limit=5") == "limit");        // not a top list
  CHECK(error_param(Endpoint::stats, "granularity=hour") == "granularity");
  CHECK(error_param(Endpoint::funnel, "funnelStage=top") == "funnelStage");
  CHECK(error_param(Endpoint::funnel, "eventType=like") == "eventType");
  CHECK(error_param(Endpoint::stats, "zeta=1&alpha=2") == "alpha");
  CHECK(error_param(Endpoint::stats, "source=tiktok&source=facebook") == "source");
  CHECK(error_param(Endpoint::stats, "from=%zz") == "from");
  const auto r = parse(Endpoint::stats, "%C3%A9%00x=1");
  REQUIRE(r.error);
  CHECK(r.error->parameter == "???x");  // echoed names are printable ASCII only
}

TEST_CASE("timeseries bucket count is capped", "[analytics]") {
  CHECK(parse(Endpoint::timeseries, "granularity=minute").options);  // default week of minutes fits
  const auto r = parse(Endpoint::timeseries, "granularity=minute&from=2025-01-01T00:00:00Z&to=2026-01-01T00:00:00Z");
  REQUIRE(r.error);
  CHECK(r.error->parameter == "granularity");
  CHECK(r.error->message.find("2025-01-01T00:00:00Z") != std::string::npos);
  CHECK(parse(Endpoint::timeseries, "granularity=day&from=2025-01-01T00:00:00Z&to=2026-01-01T00:00:00Z").options);
}

TEST_CASE("SQL is parameterised: user values only in params, placeholders match", "[analytics]") {
  const std::string evil = "facebook' OR '1'='1";
  QueryOptions o;
  o.from_us = *parse_rfc3339("2026-01-01T00:00:00Z");
  o.to_us = *parse_rfc3339("2026-01-02T00:00:00Z");
  o.source = evil;  // the parser would reject it; the builder must still never splice it
  o.funnel_stage = "top";
  o.event_type = "x'); DROP TABLE events; --";
  o.limit = 7;
  for (Endpoint e : kEndpoints) {
    for (TopBy by : {TopBy::events, TopBy::revenue}) {
      o.by = by;
      const auto queries = build_queries(e, o);
      REQUIRE_FALSE(queries.empty());
      for (const auto& q : queries) {
        INFO(q.sql);
        CHECK(q.sql.find(evil) == std::string::npos);
        CHECK(q.sql.find("DROP") == std::string::npos);
        CHECK(q.sql.find("2026") == std::string::npos);
        CHECK(max_placeholder(q.sql) == static_cast<int>(q.params.size()));
        CHECK(q.params.at(0) == "2026-01-01T00:00:00.000000Z");
        CHECK(q.params.at(1) == "2026-01-02T00:00:00.000000Z");
        CHECK(std::count(q.params.begin(), q.params.end(), std::optional<std::string>(evil)) == 1);
      }
    }
  }
  // Stage/type filters where the endpoint takes them; the funnel compares stages so it ignores them.
  CHECK(build_queries(Endpoint::stats, o)[0].params.size() == 5);
  CHECK(build_queries(Endpoint::funnel, o)[0].params.size() == 3);
  CHECK(build_queries(Endpoint::users_top, o)[0].params.back() == "7");
  o.granularity = Granularity::minute;
  CHECK(build_queries(Endpoint::timeseries, o)[0].params.back() == "minute");
  o.source.reset();
  o.funnel_stage.reset();
  o.event_type.reset();
  CHECK(build_queries(Endpoint::revenue, o)[0].params.size() == 2);
}

TEST_CASE("stats rendering sums groups and keeps both sources and stages", "[analytics]") {
  QueryOptions o;
  const std::vector<Rows> results{
      {{"facebook", "top", "ad.view", "5"}, {"tiktok", "bottom", "purchase", "2"}, {"tiktok", "top", "like", "1"}},
      {{"4"}}};
  const auto v = boost::json::parse(render(Endpoint::stats, o, results));
  CHECK(v.at("total").as_int64() == 8);
  CHECK(v.at("uniqueUsers").as_int64() == 4);
  CHECK(v.at("bySource").at("facebook").as_int64() == 5);
  CHECK(v.at("bySource").at("tiktok").as_int64() == 3);
  CHECK(v.at("byFunnelStage").at("top").as_int64() == 6);
  CHECK(v.at("byFunnelStage").at("bottom").as_int64() == 2);
  CHECK(v.at("byEventType").as_array().size() == 3);
  CHECK(v.at("byEventType").at(1).at("eventType").as_string() == "purchase");
  const auto empty = boost::json::parse(render(Endpoint::stats, o, {{}, {{"0"}}}));
  CHECK(empty.at("total").as_int64() == 0);
  CHECK(empty.at("bySource").at("tiktok").as_int64() == 0);
}

TEST_CASE("funnel rendering: conversion rate, zero when no top users, every source listed", "[analytics]") {
  QueryOptions o;
  const std::vector<Rows> results{{{"1", std::nullopt, "10", "3", "4", "2", "1"},
                                   {"0", "facebook", "10", "3", "1", "1", "1"}}};
  const auto v = boost::json::parse(render(Endpoint::funnel, o, results));
  CHECK(v.at("convertedUsers").as_int64() == 1);
  CHECK(v.at("conversionRate").to_number<double>() == Approx(1.0 / 3).margin(1e-6));
  CHECK(v.at("bySource").as_array().size() == 2);
  CHECK(v.at("bySource").at(1).at("source").as_string() == "tiktok");
  CHECK(v.at("bySource").at(1).at("conversionRate").to_number<double>() == 0);
  CHECK(v.at("bySource").at(1).at("top").at("users").as_int64() == 0);
  o.source = "tiktok";
  const auto only = boost::json::parse(render(Endpoint::funnel, o, {{}}));
  CHECK(only.at("bySource").as_array().size() == 1);
  CHECK(only.at("conversionRate").to_number<double>() == 0);
}

TEST_CASE("money stays the decimal PostgreSQL rounded; null countries and campaigns render as null",
          "[analytics]") {
  QueryOptions o;
  const std::string countries = render(Endpoint::countries, o,
                                       {{{"Côte d'Ivoire", "3", "2", "12.30"}, {std::nullopt, "1", "1", "0.00"}}});
  CHECK(countries ==
        R"({"countries":[{"country":"Côte d'Ivoire","events":3,"users":2,"revenue":12.30},)"
        R"({"country":null,"events":1,"users":1,"revenue":0.00}]})");
  const auto revenue = boost::json::parse(render(
      Endpoint::revenue, o,
      {{{"1", "1", std::nullopt, std::nullopt, "3", "30.01"}, {"0", "1", "tiktok", std::nullopt, "3", "30.01"},
        {"1", "0", std::nullopt, std::nullopt, "2", "20.00"}, {"1", "0", std::nullopt, "cmp-1", "1", "10.01"}}}));
  CHECK(revenue.at("total").to_number<double>() == Approx(30.01));
  CHECK(revenue.at("purchases").as_int64() == 3);
  REQUIRE(revenue.at("bySource").as_array().size() == 2);
  CHECK(revenue.at("bySource").at(1).at("source").as_string() == "facebook");
  CHECK(revenue.at("bySource").at(1).at("purchases").as_int64() == 0);
  CHECK(revenue.at("byCampaign").at(0).at("campaignId").is_null());
  CHECK_THROWS(render(Endpoint::countries, o, {{{"x", "1", "1", "1e5"}}}));
  CHECK_THROWS(render(Endpoint::countries, o, {{{"x", "1", "1", "12."}}}));
  CHECK_THROWS(render(Endpoint::campaigns_top, o, {{{"c", "-1", "0", "0"}}}));
  CHECK_THROWS(render(Endpoint::stats, o, {{}}));
}

TEST_CASE("OpenAPI document lists every endpoint with its parameters and errors", "[analytics]") {
  const auto doc = boost::json::parse(openapi_document());
  CHECK(doc.at("openapi").as_string() == "3.0.3");
  for (Endpoint e : kEndpoints) {
    const auto& op = doc.at("paths").at(std::string(endpoint_path(e))).at("get");
    std::set<std::string> names;
    for (const auto& p : op.at("parameters").as_array()) names.insert(std::string(p.at("name").as_string()));
    for (auto n : allowed_parameters(e)) CHECK(names.count(std::string(n)) == 1);
    CHECK(names.size() == allowed_parameters(e).size());
    for (const char* status : {"200", "400", "503"}) CHECK(op.at("responses").as_object().contains(status));
  }
}
