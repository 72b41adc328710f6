#include <eventhub/analytics/answers.hpp>
#include <eventhub/analytics/endpoints.hpp>
#include <eventhub/analytics/json_writer.hpp>
#include <eventhub/analytics/openapi.hpp>
#include <eventhub/analytics/params.hpp>
#include <eventhub/common/time.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <catch2/catch.hpp>

#include <set>

using namespace eventhub::analytics;
using eventhub::http::parse_query;

namespace {
constexpr int64_t kHourUs = 3'600'000'000LL;

std::optional<int64_t> parse_rfc3339(const char* text) {
  const auto t = eventhub::common::parse_rfc3339(text);
  if (!t) return std::nullopt;
  return eventhub::common::to_unix_us(*t);
}

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
}  // namespace

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

TEST_CASE("countries take a limit (1-1000), default all", "[analytics]") {
  CHECK_FALSE(parse(Endpoint::countries, "").options->limit.has_value());
  CHECK(parse(Endpoint::countries, "limit=10").options->limit == 10);
  CHECK(error_param(Endpoint::countries, "limit=0") == "limit");
  CHECK(error_param(Endpoint::countries, "limit=1001") == "limit");
  CHECK(error_param(Endpoint::stats, "limit=10") == "limit");
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

TEST_CASE("conversion rate: at most 6 decimals, 0 without top users", "[analytics]") {
  CHECK(conversion_rate(1, 3) == "0.333333");
  CHECK(conversion_rate(1, 2) == "0.5");
  CHECK(conversion_rate(3, 3) == "1");
  CHECK(conversion_rate(0, 3) == "0");
  CHECK(conversion_rate(2, 0) == "0");
}

TEST_CASE("JSON writer: commas, escaping, null, money kept as the exact decimal", "[analytics]") {
  JsonWriter w;
  w.begin_object().field("country", "Côte d'Ivoire \"x\"").field("events", int64_t{3});
  w.key("revenue").number_text("12.30");
  w.key("none").null().key("list").begin_array();
  for (int64_t i = 0; i < 3; ++i) w.begin_object().field("n", i).end_object();
  w.end_array().key("empty").begin_array().end_array().end_object();
  const std::string out = w.take();
  CHECK(out == R"({"country":"Côte d'Ivoire \"x\"","events":3,"revenue":12.30,"none":null,)"
               R"("list":[{"n":0},{"n":1},{"n":2}],"empty":[]})");
  CHECK(boost::json::parse(out).at("list").as_array().size() == 3);
}

TEST_CASE("every endpoint is in the spec table once, with its path and parameters", "[analytics]") {
  std::set<std::string> paths, labels;
  for (const auto& e : endpoints()) {
    CHECK(paths.insert(std::string(e.path)).second);
    CHECK(labels.insert(std::string(e.label)).second);
    CHECK(&spec(e.id) == &e);
    CHECK(e.answer != nullptr);
    CHECK(std::find(e.parameters.begin(), e.parameters.end(), "from") != e.parameters.end());
  }
  CHECK(paths.size() == 7);
}

TEST_CASE("OpenAPI document lists every endpoint with its parameters and errors", "[analytics]") {
  const auto doc = boost::json::parse(openapi_document());
  CHECK(doc.at("openapi").as_string() == "3.0.3");
  for (const auto& e : endpoints()) {
    const auto& op = doc.at("paths").at(std::string(e.path)).at("get");
    std::set<std::string> names;
    for (const auto& p : op.at("parameters").as_array()) names.insert(std::string(p.at("name").as_string()));
    for (auto n : allowed_parameters(e.id)) CHECK(names.count(std::string(n)) == 1);
    CHECK(names.size() == allowed_parameters(e.id).size());
    for (const char* status : {"200", "400", "503"}) CHECK(op.at("responses").as_object().contains(status));
  }
}

TEST_CASE("OpenAPI enums come from the event vocabulary; timeseries points have users", "[analytics]") {
  const auto doc = boost::json::parse(openapi_document());
  const auto& params = doc.at("paths").at("/analytics/stats").at("get").at("parameters").as_array();
  for (const auto& p : params)
    if (p.at("name").as_string() == "eventType") CHECK(p.at("schema").at("enum").as_array().size() == 12);
  const auto& point = doc.at("components").at("schemas").at("Timeseries").at("properties").at("points").at("items");
  CHECK(point.at("properties").as_object().contains("users"));
}
