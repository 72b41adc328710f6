#include <eventhub/common/time.hpp>
#include <eventhub/publish/generator.hpp>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <map>
#include <regex>
#include <set>
#include <string>

using namespace eventhub::publish;
namespace json = boost::json;

namespace {

constexpr int64_t kBase = 1'764'000'000'000;  // 2025-11-24T16:00:00Z

// The generator's timestamps in the unit it works in (Unix milliseconds), through common/time.
std::optional<int64_t> parse_rfc3339_ms(std::string_view text) {
  const auto t = eventhub::common::parse_rfc3339(text, {.allow_space_separator = true});
  if (!t) return std::nullopt;
  return eventhub::common::to_unix_us(*t) / 1000;
}
std::string format_rfc3339_ms(int64_t unix_ms) {
  return eventhub::common::format_rfc3339(eventhub::common::from_unix_us(unix_ms * 1000),
                                          eventhub::common::FractionDigits::millis);
}

GeneratorOptions options(uint64_t seed, double dup = 0, double inv = 0) {
  GeneratorOptions o;
  o.seed = seed;
  o.duplicate_ratio = dup;
  o.invalid_ratio = inv;
  o.base_time_ms = kBase;
  return o;
}

const std::map<std::string, std::set<std::string>> kTypes{
    {"facebook/top", {"ad.view", "page.like", "comment", "video.view"}},
    {"facebook/bottom", {"ad.click", "form.submission", "checkout.complete"}},
    {"tiktok/top", {"video.view", "like", "share", "comment"}},
    {"tiktok/bottom", {"profile.visit", "purchase", "follow"}},
};

std::string str(const json::object& o, const char* key) { return std::string(o.at(key).as_string()); }

bool is_string_or_null(const json::object& o, const char* key) {
  const auto* v = o.if_contains(key);
  return v != nullptr && (v->is_string() || v->is_null());
}

}  // namespace

TEST_CASE("same seed, same events; another seed, other events", "[publish][generator]") {
  const EventGenerator a(options(42, 0.1, 0.1)), b(options(42, 0.1, 0.1)), c(options(43, 0.1, 0.1));
  int differing = 0;
  for (int64_t n = 0; n < 3000; ++n) {
    const auto ea = a.generate(n);
    const auto eb = b.generate(n);
    REQUIRE(ea.json == eb.json);
    REQUIRE(ea.kind == eb.kind);
    REQUIRE(ea.id_index == eb.id_index);
    if (c.generate(n).json != ea.json) ++differing;
  }
  CHECK(differing > 2900);
  // Generation order does not matter: event n is a function of n.
  CHECK(a.generate(2999).json == EventGenerator(options(42, 0.1, 0.1)).generate(2999).json);
}

TEST_CASE("original events follow the contract's shape", "[publish][generator]") {
  const EventGenerator gen(options(7));
  const std::regex amount_re(R"(^[0-9]+\.[0-9]{2}$)");
  std::set<std::string> ids;
  for (int64_t n = 0; n < 5000; ++n) {
    const auto ev = gen.generate(n);
    REQUIRE(ev.kind == EventKind::original);
    REQUIRE(ev.id_index == n);
    const auto value = json::parse(ev.json);
    const auto& o = value.as_object();
    INFO(ev.json);
    CHECK(str(o, "eventId") == gen.event_id(n));
    CHECK(ids.insert(str(o, "eventId")).second);
    CHECK(parse_rfc3339_ms(str(o, "timestamp")).has_value());
    const auto source = str(o, "source");
    const auto stage = str(o, "funnelStage");
    REQUIRE(kTypes.count(source + "/" + stage) == 1);
    CHECK(kTypes.at(source + "/" + stage).count(str(o, "eventType")) == 1);
    const auto& user = o.at("data").at("user").as_object();
    const auto& eng = o.at("data").at("engagement").as_object();
    CHECK(user.at("userId").is_string());
    if (source == "facebook") {
      CHECK(user.at("name").is_string());
      CHECK(user.at("age").is_number());
      CHECK(std::set<std::string>{"male", "female", "non-binary"}.count(str(user, "gender")) == 1);
      CHECK(user.at("location").at("country").is_string());
      CHECK(user.at("location").at("city").is_string());
      if (stage == "top") {
        CHECK(eng.at("actionTime").is_string());
        CHECK(std::set<std::string>{"newsfeed", "marketplace", "groups"}.count(str(eng, "referrer")) == 1);
        CHECK(is_string_or_null(eng, "videoId"));
      } else {
        CHECK(eng.at("adId").is_string());
        CHECK(eng.at("campaignId").is_string());
        CHECK(std::set<std::string>{"top_left", "bottom_right", "center"}.count(str(eng, "clickPosition")) == 1);
        CHECK(std::set<std::string>{"mobile", "desktop"}.count(str(eng, "device")) == 1);
        CHECK(std::set<std::string>{"Chrome", "Firefox", "Safari"}.count(str(eng, "browser")) == 1);
        CHECK(is_string_or_null(eng, "purchaseAmount"));
        CHECK(eng.at("purchaseAmount").is_string() == (str(o, "eventType") == "checkout.complete"));
      }
    } else {
      CHECK(user.at("username").is_string());
      CHECK(user.at("followers").is_number());
      if (stage == "top") {
        CHECK(eng.at("watchTime").is_number());
        CHECK(eng.at("percentageWatched").is_number());
        CHECK(std::set<std::string>{"Android", "iOS", "Desktop"}.count(str(eng, "device")) == 1);
        CHECK(eng.at("country").is_string());
        CHECK(eng.at("videoId").is_string());
      } else {
        CHECK(eng.at("actionTime").is_string());
        CHECK(is_string_or_null(eng, "profileId"));
        CHECK(is_string_or_null(eng, "purchasedItem"));
        CHECK(is_string_or_null(eng, "purchaseAmount"));
        CHECK(eng.at("purchaseAmount").is_string() == (str(o, "eventType") == "purchase"));
      }
    }
    if (const auto* amount = eng.if_contains("purchaseAmount"); amount && amount->is_string())
      CHECK(std::regex_match(std::string(amount->as_string()), amount_re));
  }
}

TEST_CASE("distributions look like a real audience", "[publish][generator]") {
  const EventGenerator gen(options(11));
  const int64_t total = 40'000;
  int64_t top = 0, facebook = 0, purchases = 0, ahead = 0, inversions = 0;
  std::set<std::string> countries, campaigns, users;
  std::map<std::string, std::string> user_profile;
  int64_t previous_ts = 0;
  for (int64_t n = 0; n < total; ++n) {
    const auto value = json::parse(gen.generate(n).json);
    const auto& o = value.as_object();
    const bool fb = str(o, "source") == "facebook";
    top += str(o, "funnelStage") == "top";
    facebook += fb;
    const auto& user = o.at("data").at("user").as_object();
    const auto& eng = o.at("data").at("engagement").as_object();
    const auto user_id = str(user, "userId");
    users.insert(user_id);
    // tiktok bottom events carry no country (CONTRACT.md): analytics groups them under null.
    const std::string country = fb ? str(user.at("location").as_object(), "country")
                                   : (eng.contains("country") ? str(eng, "country") : std::string("?"));
    if (country != "?") countries.insert(country);
    if (const auto* c = eng.if_contains("campaignId")) campaigns.insert(std::string(c->as_string()));
    if (const auto* a = eng.if_contains("purchaseAmount"); a && a->is_string()) ++purchases;
    // The same user always has the same attributes.
    const std::string profile = fb ? str(user, "name") + "|" + json::serialize(user.at("age")) + "|" + country
                                   : str(user, "username") + "|" + json::serialize(user.at("followers")) + "|" + country;
    if (country != "?") {
      const auto [it, inserted] = user_profile.emplace(user_id, profile);
      if (!inserted) REQUIRE(it->second == profile);
    }
    const int64_t ts = *parse_rfc3339_ms(str(o, "timestamp"));
    REQUIRE(ts >= kBase - 10 * 60 * 1000);
    REQUIRE(ts <= kBase + 60 * 1000);
    ahead += ts > kBase;
    if (n > 0 && ts < previous_ts) ++inversions;
    previous_ts = ts;
  }
  const double top_share = static_cast<double>(top) / total;
  CHECK(top_share > 0.82);
  CHECK(top_share < 0.88);
  CHECK(facebook > total * 0.45);
  CHECK(facebook < total * 0.65);
  CHECK(countries.size() == 30);
  CHECK(std::any_of(countries.begin(), countries.end(),
                    [](const std::string& c) { return std::any_of(c.begin(), c.end(), [](char ch) { return static_cast<unsigned char>(ch) >= 0x80; }); }));
  CHECK(campaigns.size() > 500);
  CHECK(campaigns.size() <= 1000);
  CHECK(users.size() > 10'000);
  CHECK(users.size() <= 100'000);
  CHECK(purchases > total / 100);
  CHECK(ahead > 0);
  CHECK(inversions > total / 4);  // out of order
}

TEST_CASE("duplicates resend an earlier event unchanged", "[publish][generator]") {
  const EventGenerator gen(options(5, 0.2, 0.05));
  int64_t duplicates = 0;
  const int64_t total = 10'000;
  for (int64_t n = 0; n < total; ++n) {
    const auto ev = gen.generate(n);
    if (ev.kind != EventKind::duplicate) continue;
    ++duplicates;
    REQUIRE(ev.id_index >= 0);
    REQUIRE(ev.id_index < n);
    REQUIRE(gen.kind_of(ev.id_index) == EventKind::original);
    REQUIRE(ev.json == gen.generate(ev.id_index).json);
  }
  CHECK(duplicates > total * 0.17);
  CHECK(duplicates < total * 0.23);
  CHECK(gen.generate(0).kind != EventKind::duplicate);
}

TEST_CASE("invalid events come in every kind", "[publish][generator]") {
  const EventGenerator gen(options(9, 0, 0.3));
  std::set<int> kinds;
  int64_t invalid = 0;
  for (int64_t n = 0; n < 5000; ++n) {
    const auto ev = gen.generate(n);
    if (ev.kind != EventKind::invalid) continue;
    ++invalid;
    REQUIRE(ev.invalid.has_value());
    kinds.insert(static_cast<int>(*ev.invalid));
    CHECK(json::parse(ev.json).is_object());
    CHECK(ev.json != EventGenerator(options(9)).generate(n).json);
  }
  CHECK(invalid > 1300);
  CHECK(invalid < 1700);
  CHECK(kinds.size() == static_cast<std::size_t>(kInvalidKinds));
}

TEST_CASE("bodies: a JSON array per batch, a bare object for single events", "[publish][generator]") {
  const EventGenerator gen(options(3, 0.1, 0.1));
  std::string body;
  std::vector<int64_t> ids;
  gen.append_body(100, 50, true, body, ids);
  const auto arr = json::parse(body).as_array();
  REQUIRE(arr.size() == 50);
  REQUIRE(ids.size() == 50);
  for (int64_t i = 0; i < 50; ++i) {
    CHECK(json::serialize(arr[static_cast<std::size_t>(i)]) == json::serialize(json::parse(gen.generate(100 + i).json)));
    CHECK(ids[static_cast<std::size_t>(i)] == gen.generate(100 + i).id_index);
  }
  std::string single;
  ids.clear();
  gen.append_body(7, 1, false, single, ids);
  CHECK(single == gen.generate(7).json);
  CHECK_THROWS(gen.append_body(7, 2, false, single, ids));
}

TEST_CASE("nominal rate moves the timestamps forward", "[publish][generator]") {
  auto o = options(1);
  o.nominal_rate = 100;  // event 60000 is ten minutes after event 0
  const EventGenerator gen(o);
  const auto ts = [&](int64_t n) {
    return *parse_rfc3339_ms(std::string(json::parse(gen.generate(n).json).at("timestamp").as_string()));
  };
  CHECK(ts(60'000) >= kBase + 600'000 - 600'000);
  CHECK(ts(60'000) > kBase);
}

TEST_CASE("RFC 3339 parsing and formatting", "[publish][generator]") {
  CHECK(parse_rfc3339_ms("1970-01-01T00:00:00Z") == int64_t{0});
  CHECK(parse_rfc3339_ms("2025-11-24T16:00:00Z") == kBase);
  CHECK(parse_rfc3339_ms("2025-11-24T16:00:00.250Z") == kBase + 250);
  CHECK(parse_rfc3339_ms("2025-11-24T17:00:00+01:00") == kBase);
  CHECK(parse_rfc3339_ms("2025-11-24T15:30:00-00:30") == kBase);
  CHECK_FALSE(parse_rfc3339_ms("2025-11-24 16:00").has_value());
  CHECK_FALSE(parse_rfc3339_ms("2025-02-29T00:00:00Z").has_value());
  CHECK(parse_rfc3339_ms("2024-02-29T00:00:00Z").has_value());
  CHECK_FALSE(parse_rfc3339_ms("2025-11-24T16:00:00").has_value());
  CHECK_FALSE(parse_rfc3339_ms("2025-11-24T16:00:00Zjunk").has_value());
  CHECK(format_rfc3339_ms(kBase + 7) == "2025-11-24T16:00:00.007Z");
  CHECK(parse_rfc3339_ms(format_rfc3339_ms(kBase - 123'456)) == kBase - 123'456);
}
