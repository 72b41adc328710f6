// events::validate_event / to_row / subject_suffix against the schema of CONTRACT.md ("Events").
#include <eventhub/common/time.hpp>
#include <eventhub/events/event.hpp>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>

namespace json = boost::json;
using namespace eventhub::events;

namespace {

json::object facebook_top() {
  return json::parse(R"({
    "eventId": "fb-1", "timestamp": "2026-01-31T12:00:00Z", "source": "facebook", "funnelStage": "top",
    "eventType": "ad.view",
    "data": {
      "user": {"userId": "u1", "name": "Ann", "age": 31, "gender": "female",
               "location": {"country": "DE", "city": "Berlin"}},
      "engagement": {"actionTime": "2026-01-31T11:59:59Z", "referrer": "newsfeed", "videoId": null}
    }})").as_object();
}
json::object facebook_bottom() {
  return json::parse(R"({
    "eventId": "fb-2", "timestamp": "2026-01-31T12:00:00.123+02:00", "source": "facebook", "funnelStage": "bottom",
    "eventType": "checkout.complete",
    "data": {
      "user": {"userId": "u2", "name": "Bob", "age": 40, "gender": "male",
               "location": {"country": "FR", "city": "Paris"}},
      "engagement": {"adId": "ad1", "campaignId": "c1", "clickPosition": "center", "device": "mobile",
                     "browser": "Safari", "purchaseAmount": "19.99"}
    }})").as_object();
}
json::object tiktok_top() {
  return json::parse(R"({
    "eventId": "tt-1", "timestamp": "2026-01-31T12:00:00-05:30", "source": "tiktok", "funnelStage": "top",
    "eventType": "video.view",
    "data": {
      "user": {"userId": "t1", "username": "tina", "followers": 1200},
      "engagement": {"watchTime": 12.5, "percentageWatched": 80, "device": "iOS", "country": "US", "videoId": "v1"}
    }})").as_object();
}
json::object tiktok_bottom() {
  return json::parse(R"({
    "eventId": "tt-2", "timestamp": "2026-01-31T12:00:00Z", "source": "tiktok", "funnelStage": "bottom",
    "eventType": "purchase",
    "data": {
      "user": {"userId": "t2", "username": "tom", "followers": 0},
      "engagement": {"actionTime": "2026-01-31T12:00:00Z", "profileId": "p1", "purchasedItem": "hat",
                     "purchaseAmount": "5"}
    }})").as_object();
}

json::value& at_path(json::object& root, std::string_view dotted) {
  json::value* cur = nullptr;
  json::object* obj = &root;
  std::size_t pos = 0;
  while (true) {
    auto dot = dotted.find('.', pos);
    auto key = dotted.substr(pos, dot == std::string_view::npos ? std::string_view::npos : dot - pos);
    cur = &obj->at(key);
    if (dot == std::string_view::npos) return *cur;
    obj = &cur->as_object();
    pos = dot + 1;
  }
}
void erase_path(json::object& root, std::string_view dotted) {
  auto dot = dotted.rfind('.');
  if (dot == std::string_view::npos) {
    root.erase(dotted);
  } else {
    at_path(root, dotted.substr(0, dot)).as_object().erase(dotted.substr(dot + 1));
  }
}

std::vector<std::string> errors(const json::object& o) { return validate_event(json::value(o)); }

// Exactly one error, for `path`, containing `reason`.
void expect_single_error(const json::object& o, const std::string& path, const std::string& reason) {
  auto errs = errors(o);
  INFO(json::serialize(o));
  REQUIRE(errs.size() == 1);
  CHECK_THAT(errs[0], Catch::StartsWith(path + ": "));
  CHECK_THAT(errs[0], Catch::Contains(reason));
}

struct FieldCase {
  std::string path;
  const char* kind;  // string | enum | number | decimal | object
  bool nullable;
};

}  // namespace

TEST_CASE("valid events of every source and stage pass", "[events][validation]") {
  CHECK(errors(facebook_top()).empty());
  CHECK(errors(facebook_bottom()).empty());
  CHECK(errors(tiktok_top()).empty());
  CHECK(errors(tiktok_bottom()).empty());
  for (auto* et : {"ad.view", "page.like", "comment", "video.view"}) {
    auto e = facebook_top();
    e["eventType"] = et;
    CHECK(errors(e).empty());
  }
  for (auto* et : {"ad.click", "form.submission", "checkout.complete"}) {
    auto e = facebook_bottom();
    e["eventType"] = et;
    CHECK(errors(e).empty());
  }
  for (auto* et : {"video.view", "like", "share", "comment"}) {
    auto e = tiktok_top();
    e["eventType"] = et;
    CHECK(errors(e).empty());
  }
  for (auto* et : {"profile.visit", "purchase", "follow"}) {
    auto e = tiktok_bottom();
    e["eventType"] = et;
    CHECK(errors(e).empty());
  }
}

TEST_CASE("top-level fields: missing, wrong type, wrong enum", "[events][validation]") {
  for (auto* field : {"eventId", "timestamp", "source", "funnelStage", "eventType", "data"}) {
    SECTION(std::string("missing ") + field) {
      auto e = tiktok_top();
      e.erase(field);
      auto errs = errors(e);
      INFO(field);
      REQUIRE(!errs.empty());
      CHECK(errs[0] == std::string(field) + ": required");
    }
    SECTION(std::string("wrong type ") + field) {
      auto e = tiktok_top();
      e[field] = 42;
      auto errs = errors(e);
      INFO(field);
      REQUIRE(!errs.empty());
      CHECK_THAT(errs[0], Catch::StartsWith(std::string(field) + ": expected "));
    }
  }
  {
    auto e = facebook_top();
    e["source"] = "myspace";
    expect_single_error(e, "source", "facebook|tiktok");
  }
  {
    auto e = facebook_top();
    e["funnelStage"] = "middle";
    expect_single_error(e, "funnelStage", "top|bottom");
  }
  CHECK(validate_event(json::value(json::array{})) == std::vector<std::string>{"event: expected object"});
  CHECK(validate_event(json::value("x")) == std::vector<std::string>{"event: expected object"});
}

TEST_CASE("eventType must belong to its source and stage", "[events][validation]") {
  auto e = facebook_top();
  e["eventType"] = "ad.click";  // facebook bottom
  expect_single_error(e, "eventType", "not a facebook top event");
  e = facebook_bottom();
  e["eventType"] = "purchase";  // tiktok bottom
  expect_single_error(e, "eventType", "not a facebook bottom event");
  e = tiktok_top();
  e["eventType"] = "ad.view";
  expect_single_error(e, "eventType", "not a tiktok top event");
  e = tiktok_bottom();
  e["eventType"] = "share";  // tiktok top
  expect_single_error(e, "eventType", "not a tiktok bottom event");
  e = tiktok_bottom();
  e["eventType"] = "";
  expect_single_error(e, "eventType", "expected one of profile.visit|purchase|follow");
}

TEST_CASE("eventId length 1..128 characters", "[events][validation]") {
  auto e = facebook_top();
  e["eventId"] = "";
  expect_single_error(e, "eventId", "1..128");
  e["eventId"] = std::string(128, 'a');
  CHECK(errors(e).empty());
  e["eventId"] = std::string(129, 'a');
  expect_single_error(e, "eventId", "1..128");
  std::string umlauts;
  for (int i = 0; i < 128; ++i) umlauts += "\xC3\xA4";  // 128 characters, 256 bytes
  e["eventId"] = umlauts;
  CHECK(errors(e).empty());
  // it becomes a NATS header value: no CR/LF or other control characters
  for (auto* bad : {"a\r\nNats-Expected-Stream: x", "tab\there", "del\x7f"}) {
    e["eventId"] = bad;
    expect_single_error(e, "eventId", "control characters");
  }
}

TEST_CASE("timestamp is strict RFC 3339 with a real date and an offset", "[events][validation]") {
  for (auto* ok : {"2026-01-31T12:00:00Z", "2026-01-31t12:00:00z", "2024-02-29T00:00:00+00:00",
                   "2026-12-31T23:59:60Z", "2026-01-01T00:00:00.123456789-11:30", "0001-01-01T00:00:00Z"}) {
    INFO(ok);
    CHECK(eventhub::common::parse_rfc3339(ok).has_value());
  }
  for (auto* bad : {"2026-02-30T12:00:00Z", "2025-02-29T12:00:00Z", "2026-04-31T00:00:00Z", "2026-13-01T00:00:00Z",
                    "2026-01-31T12:00:00", "2026-01-31 12:00:00Z", "2026-01-31T24:00:00Z", "2026-01-31T12:60:00Z",
                    "2026-01-31T12:00:61Z", "2026-01-31T12:00:00.Z", "2026-01-31T12:00:00.1234567890Z",
                    "2026-01-31T12:00:00+0100", "2026-01-31T12:00:00+24:00", "2026-01-31", "0000-01-01T00:00:00Z",
                    "1706702400", "2026-1-31T12:00:00Z", "2026-01-31T12:00:00Z ", "", "2026-01-31T12:00:00+01:00x"}) {
    INFO(bad);
    CHECK_FALSE(eventhub::common::parse_rfc3339(bad).has_value());
  }
  auto e = facebook_top();
  e["timestamp"] = "2026-02-30T12:00:00Z";
  expect_single_error(e, "timestamp", "RFC 3339");
  e["timestamp"] = "2026-01-31T12:00:00";
  expect_single_error(e, "timestamp", "RFC 3339");
}

TEST_CASE("purchaseAmount decimal format fits numeric(18,4)", "[events][validation]") {
  for (auto* ok : {"0", "0.5", "19.99", "12345678901234", "12345678901234.1234", "1.0000"}) {
    INFO(ok);
    CHECK(is_decimal_amount(ok));
  }
  for (auto* bad : {"", "01", "-1", "+1", "1.", ".5", "1.23456", "123456789012345", "1e3", "1,5", " 1", "NaN", "0x10"}) {
    INFO(bad);
    CHECK_FALSE(is_decimal_amount(bad));
  }
  auto e = facebook_bottom();
  at_path(e, "data.engagement.purchaseAmount") = "12.345678";
  expect_single_error(e, "data.engagement.purchaseAmount", "decimal string");
  at_path(e, "data.engagement.purchaseAmount") = 12.5;
  expect_single_error(e, "data.engagement.purchaseAmount", "expected decimal string or null");
}

TEST_CASE("every nested field: missing, wrong type, wrong enum, null", "[events][validation]") {
  struct Source {
    const char* name;
    json::object (*make)();
    std::vector<FieldCase> fields;
  };
  const std::vector<Source> sources = {
      {"facebook top", facebook_top,
       {{"data.user.userId", "string", false}, {"data.user.name", "string", false}, {"data.user.age", "number", false},
        {"data.user.gender", "enum", false}, {"data.user.location", "object", false},
        {"data.user.location.country", "string", false}, {"data.user.location.city", "string", false},
        {"data.engagement.actionTime", "string", false}, {"data.engagement.referrer", "enum", false},
        {"data.engagement.videoId", "string", true}}},
      {"facebook bottom", facebook_bottom,
       {{"data.engagement.adId", "string", false}, {"data.engagement.campaignId", "string", false},
        {"data.engagement.clickPosition", "enum", false}, {"data.engagement.device", "enum", false},
        {"data.engagement.browser", "enum", false}, {"data.engagement.purchaseAmount", "decimal", true}}},
      {"tiktok top", tiktok_top,
       {{"data.user.userId", "string", false}, {"data.user.username", "string", false},
        {"data.user.followers", "number", false}, {"data.engagement.watchTime", "number", false},
        {"data.engagement.percentageWatched", "number", false}, {"data.engagement.device", "enum", false},
        {"data.engagement.country", "string", false}, {"data.engagement.videoId", "string", false}}},
      {"tiktok bottom", tiktok_bottom,
       {{"data.engagement.actionTime", "string", false}, {"data.engagement.profileId", "string", true},
        {"data.engagement.purchasedItem", "string", true}, {"data.engagement.purchaseAmount", "decimal", true}}},
  };
  for (const auto& src : sources) {
    for (const auto& f : src.fields) {
      INFO(src.name << " " << f.path);
      {  // missing
        auto e = src.make();
        erase_path(e, f.path);
        if (f.nullable) CHECK(errors(e).empty());
        else expect_single_error(e, f.path, "required");
      }
      {  // null
        auto e = src.make();
        at_path(e, f.path) = nullptr;
        if (f.nullable) CHECK(errors(e).empty());
        else expect_single_error(e, f.path, "must not be null");
      }
      {  // wrong type: a number for strings/enums/decimals/objects, a string for numbers; also bool and array
        auto e = src.make();
        at_path(e, f.path) = std::string(f.kind) == "number" ? json::value("12") : json::value(12);
        expect_single_error(e, f.path, "expected ");
        at_path(e, f.path) = true;
        expect_single_error(e, f.path, "expected ");
        at_path(e, f.path) = json::array{};
        expect_single_error(e, f.path, "expected ");
      }
      if (std::string(f.kind) == "enum") {
        auto e = src.make();
        at_path(e, f.path) = "nope";
        expect_single_error(e, f.path, "expected one of");
        at_path(e, f.path) = "Mobile";  // case matters
        expect_single_error(e, f.path, "expected one of");
      }
    }
  }
}

TEST_CASE("data, data.user and data.engagement must be objects", "[events][validation]") {
  auto e = tiktok_top();
  e["data"] = json::array{};
  expect_single_error(e, "data", "expected object");
  e = tiktok_top();
  at_path(e, "data").as_object().erase("user");
  expect_single_error(e, "data.user", "required");
  e = tiktok_top();
  at_path(e, "data.engagement") = "x";
  expect_single_error(e, "data.engagement", "expected object");
}

TEST_CASE("number ranges", "[events][validation]") {
  auto e = facebook_top();
  at_path(e, "data.user.age") = 150;
  CHECK(errors(e).empty());
  at_path(e, "data.user.age") = 30.0;
  CHECK(errors(e).empty());
  at_path(e, "data.user.age") = 151;
  expect_single_error(e, "data.user.age", "out of range");
  at_path(e, "data.user.age") = -1;
  expect_single_error(e, "data.user.age", "out of range");
  at_path(e, "data.user.age") = 30.5;
  expect_single_error(e, "data.user.age", "expected integer");

  e = tiktok_top();
  at_path(e, "data.user.followers") = -1;
  expect_single_error(e, "data.user.followers", "out of range");
  at_path(e, "data.user.followers") = 18446744073709551615ULL;
  CHECK(errors(e).empty());
  e = tiktok_top();
  at_path(e, "data.engagement.watchTime") = -0.5;
  expect_single_error(e, "data.engagement.watchTime", "out of range");
  e = tiktok_top();
  at_path(e, "data.engagement.percentageWatched") = 100.5;
  expect_single_error(e, "data.engagement.percentageWatched", "out of range (0..100)");
  at_path(e, "data.engagement.percentageWatched") = 0;
  CHECK(errors(e).empty());
}

TEST_CASE("several errors are all reported, unknown fields are no error", "[events][validation]") {
  auto e = facebook_bottom();
  e["eventId"] = 5;
  at_path(e, "data.user.gender") = "x";
  at_path(e, "data.engagement").as_object().erase("adId");
  e["somethingElse"] = json::object{{"k", 1}};
  at_path(e, "data.user").as_object()["nickname"] = "b";
  auto errs = errors(e);
  REQUIRE(errs.size() == 3);
  CHECK(errs[0] == "eventId: expected string");
  CHECK_THAT(errs[1], Catch::StartsWith("data.user.gender: expected one of male|female|non-binary"));
  CHECK(errs[2] == "data.engagement.adId: required");

  auto issues = check_event(json::value(e));
  REQUIRE(issues.size() == 3);
  CHECK(issues[0].kind == "type");
  CHECK(issues[1].kind == "enum");
  CHECK(issues[2].kind == "missing");
}

TEST_CASE("to_row extracts typed columns; unknown fields kept", "[events][row]") {
  auto fb = facebook_bottom();
  fb["partnerRef"] = "p-9";
  fb["meta"] = json::object{{"v", 2}};
  at_path(fb, "data.engagement").as_object()["extraNested"] = true;
  REQUIRE(errors(fb).empty());
  auto row = to_row(fb);
  CHECK(row.event_id == "fb-2");
  CHECK(row.source == "facebook");
  CHECK(row.funnel_stage == "bottom");
  CHECK(row.event_type == "checkout.complete");
  CHECK(row.timestamp == "2026-01-31T12:00:00.123+02:00");
  CHECK(row.user_id == std::optional<std::string>("u2"));
  CHECK(row.country == std::optional<std::string>("FR"));  // data.user.location.country
  CHECK(row.campaign_id == std::optional<std::string>("c1"));
  CHECK(row.purchase_amount == std::optional<std::string>("19.99"));
  REQUIRE(row.extra_json.has_value());
  CHECK(json::parse(*row.extra_json) == json::parse(R"({"partnerRef":"p-9","meta":{"v":2}})"));
  CHECK(json::parse(row.data_json) == fb.at("data"));
  CHECK(json::parse(row.data_json).at("engagement").at("extraNested").as_bool());
  CHECK(subject_suffix(fb) == "facebook.bottom");

  auto tt = tiktok_top();
  auto trow = to_row(tt);
  CHECK(trow.country == std::optional<std::string>("US"));  // data.engagement.country
  CHECK_FALSE(trow.campaign_id.has_value());
  CHECK_FALSE(trow.purchase_amount.has_value());
  CHECK_FALSE(trow.extra_json.has_value());
  CHECK(subject_suffix(tt) == "tiktok.top");

  auto tb = tiktok_bottom();
  at_path(tb, "data.engagement.purchaseAmount") = nullptr;
  auto brow = to_row(tb);
  CHECK_FALSE(brow.purchase_amount.has_value());
  CHECK_FALSE(brow.country.has_value());  // tiktok bottom has no country

  auto ft = facebook_top();
  at_path(ft, "data.engagement").as_object()["country"] = "XX";  // not the facebook country
  CHECK(to_row(ft).country == std::optional<std::string>("DE"));
}

TEST_CASE("parse_strict output validates; events from raw text", "[events][validation]") {
  auto r = parse_strict(json::serialize(tiktok_bottom()));
  REQUIRE(r.value.has_value());
  CHECK(validate_event(*r.value).empty());
}
