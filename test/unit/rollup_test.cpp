#include <eventhub/common/time.hpp>
#include <eventhub/pg/copy.hpp>
#include <eventhub/rollup/bucket.hpp>
#include <eventhub/rollup/fold.hpp>
#include <eventhub/rollup/window.hpp>

#include <catch2/catch.hpp>

#include <random>

using namespace eventhub::rollup;

namespace {
int64_t us(const char* text) { return eventhub::common::to_unix_us(*eventhub::common::parse_rfc3339(text)); }
constexpr int64_t kMinute = 60'000'000;
constexpr int64_t kHour = 60 * kMinute;
constexpr int64_t kDay = 24 * kHour;

// Every instant of [from, to) is in exactly one piece or raw range, none outside; pieces are whole
// aligned buckets; raw ranges are shorter than one bucket of the finest grain.
void check_exact_cover(int64_t from, int64_t to, Grain coarsest, Grain finest) {
  const Cover c = cover(from, to, coarsest, finest);
  std::vector<std::pair<int64_t, int64_t>> spans;
  for (const auto& p : c.pieces) {
    CHECK(p.from_us < p.to_us);
    CHECK(floor_to(p.grain, p.from_us) == p.from_us);
    CHECK(floor_to(p.grain, p.to_us) == p.to_us);
    CHECK(p.grain >= finest);
    CHECK(p.grain <= coarsest);
    spans.emplace_back(p.from_us, p.to_us);
  }
  for (const auto& r : c.raw) {
    CHECK(r.from_us < r.to_us);
    CHECK(r.to_us - r.from_us < grain_us(finest));
    spans.emplace_back(r.from_us, r.to_us);
  }
  std::sort(spans.begin(), spans.end());
  REQUIRE_FALSE(spans.empty());
  CHECK(spans.front().first == from);
  CHECK(spans.back().second == to);
  for (std::size_t i = 1; i < spans.size(); ++i) CHECK(spans[i - 1].second == spans[i].first);
}
}  // namespace

TEST_CASE("window cover: whole buckets coarsest first, raw edges shorter than a minute", "[rollup]") {
  // from = now - 6 d 5 h 17 min 23.417 s, the issue's unaligned window
  const int64_t to = us("2026-12-04T10:20:30.5Z");
  const int64_t from = to - (6 * kDay + 5 * kHour + 17 * kMinute + 23'417'000);
  const Cover c = cover(from, to);
  int days = 0, hours = 0, minutes = 0;
  for (const auto& p : c.pieces) {
    const int64_t n = (p.to_us - p.from_us) / grain_us(p.grain);
    (p.grain == Grain::day ? days : p.grain == Grain::hour ? hours : minutes) += static_cast<int>(n);
  }
  CHECK(days == 5);
  CHECK(hours == 18 + 10);     // 06:00 to midnight on the first day (from is 05:03:07.083), midnight to 10:00 on the last
  CHECK(minutes == 56 + 20);   // 05:04 to 06:00 and 10:00 to 10:20
  REQUIRE(c.raw.size() == 2);
  CHECK(c.raw[0].from_us == from);
  CHECK(c.raw[0].to_us == ceil_to(Grain::minute, from));
  CHECK(c.raw[1].to_us == to);
  check_exact_cover(from, to, Grain::day, Grain::minute);
}

TEST_CASE("window cover is exact for any window and grain range (randomised)", "[rollup]") {
  std::mt19937_64 rng(7);
  const int64_t base = us("2026-01-01T00:00:00Z");
  for (int i = 0; i < 2000; ++i) {
    const int64_t a = base + static_cast<int64_t>(rng() % (40 * kDay));
    const int64_t len = 1 + static_cast<int64_t>(rng() % (i % 3 == 0 ? 3 * kMinute : 10 * kDay));
    check_exact_cover(a, a + len, Grain::day, Grain::minute);
    check_exact_cover(a, a + len, Grain::hour, Grain::minute);
    check_exact_cover(a, a + len, Grain::day, Grain::hour);
  }
  check_exact_cover(us("2026-01-01T00:00:00Z"), us("2026-01-02T00:00:00Z"), Grain::day, Grain::minute);
  CHECK(cover(us("2026-01-01T00:00:00Z"), us("2026-01-02T00:00:00Z")).raw.empty());
  CHECK(cover(us("2026-01-01T00:00:10Z"), us("2026-01-01T00:00:20Z")).pieces.empty());
  // before 1970: floor, not truncation towards zero
  check_exact_cover(us("1969-12-31T23:30:30Z"), us("1970-01-01T00:30:30Z"), Grain::day, Grain::minute);
  CHECK(floor_to(Grain::hour, -1) == -kHour);
  CHECK(ceil_to(Grain::hour, -1) == 0);
}

TEST_CASE("money: exact ten-thousandths, rounded half away from zero to cents", "[rollup]") {
  CHECK(parse_money("12.3400") == Money(123400));
  CHECK(parse_money("12") == Money(120000));
  CHECK(parse_money("0.0001") == Money(1));
  CHECK(parse_money("-0.5") == Money(-5000));
  for (const char* bad : {"", ".", "1.", ".5", "1.23456", "1e3", "12a", "--1"}) CHECK_FALSE(parse_money(bad));
  CHECK(money_exact(123400) == "12.3400");
  CHECK(money_exact(1) == "0.0001");
  CHECK(money_exact(-5000) == "-0.5000");
  CHECK(money_2dp(123450) == "12.35");  // half away from zero, as round(numeric, 2)
  CHECK(money_2dp(123449) == "12.34");
  CHECK(money_2dp(0) == "0.00");
  CHECK(money_2dp(49) == "0.00");
  CHECK(money_2dp(-123450) == "-12.35");
  // a sum no 64-bit integer could hold: 10^6 of the largest amount numeric(18,4) stores
  Money sum = 0;
  const Money largest = *parse_money("99999999999999.9999");
  for (int i = 0; i < 1'000'000; ++i) sum += largest;
  CHECK(money_exact(sum) == "99999999999999999900.0000");
  CHECK(money_exact(sum) == money_exact(largest * 1'000'000));
}

TEST_CASE("levels: every event in five rows; a filter is at most two rows", "[rollup]") {
  const auto l = levels_of("facebook", "top", "ad.view");
  CHECK(l[0] == Level{"facebook", "top", "ad.view"});
  CHECK(l[4] == Level{"", "", ""});
  CHECK(levels_for({}, {}, {}) == std::vector<Level>{{"", "", ""}});
  CHECK(levels_for(std::string("tiktok"), {}, {}) == std::vector<Level>{{"tiktok", "", ""}});
  CHECK(levels_for({}, std::string("bottom"), {}) == std::vector<Level>{{"", "bottom", ""}});
  // a type that two sources have: one row each
  CHECK(levels_for({}, {}, std::string("comment")) ==
        std::vector<Level>{{"facebook", "top", "comment"}, {"tiktok", "top", "comment"}});
  CHECK(levels_for(std::string("tiktok"), {}, std::string("purchase")) ==
        std::vector<Level>{{"tiktok", "bottom", "purchase"}});
  // contradictions match nothing
  CHECK(levels_for(std::string("facebook"), {}, std::string("purchase")).empty());
  CHECK(levels_for({}, std::string("top"), std::string("purchase")).empty());
}

TEST_CASE("user sets: idempotent adds, union, intersection, portable bytes", "[rollup]") {
  UserSet a, b;
  for (uint32_t id : {1u, 2u, 3u, 3u, 3u, 1u << 31}) a.add(id);
  CHECK(a.size() == 4);
  for (uint32_t id : {3u, 4u}) b.add(id);
  CHECK(a.intersection_size(b) == 1);
  UserSet u = a;
  u |= b;
  CHECK(u.size() == 5);
  CHECK(UserSet::deserialize(u.serialize()) == u);
  CHECK(UserSet::deserialize("").empty());
  CHECK(UserSet().serialize().empty());
  CHECK_THROWS(UserSet::deserialize("not a bitmap"));
}

TEST_CASE("bucket blobs round-trip countries (null, unicode) and campaigns; garbage is rejected", "[rollup]") {
  CountryMap countries;
  countries[std::nullopt].totals = {3, 1, 12345};
  countries[std::string("Côte d'Ivoire")].totals = {2, 0, 0};
  countries[std::string("Côte d'Ivoire")].users.add(7);
  countries[std::string("日本")].users.add(1u << 31);
  CHECK(decode_countries(encode_countries(countries)) == countries);
  CampaignMap campaigns{{"cmp-0001", {5, 2, *parse_money("99999999999999.9999") * 3}}, {"", {1, 0, 0}}};
  CHECK(decode_campaigns(encode_campaigns(campaigns)) == campaigns);
  CHECK(encode_countries({}).empty());
  CHECK(decode_campaigns("").empty());
  CHECK_THROWS(decode_countries("\x02garbage"));
  std::string cut = encode_countries(countries);
  cut.resize(cut.size() - 3);
  CHECK_THROWS(decode_countries(cut));
}

TEST_CASE("fold: each grain and level adds up to the same events; users counted once", "[rollup]") {
  Fold fold;
  const int64_t t0 = us("2026-03-01T10:15:30Z");
  auto event = [&](int64_t t, std::string_view source, std::string_view stage, std::string_view type,
                   std::optional<std::string_view> user, std::optional<uint32_t> id,
                   std::optional<std::string_view> country, std::optional<std::string_view> campaign,
                   std::optional<Money> amount) {
    RawEvent e;
    e.time_us = t;
    e.source = source;
    e.funnel_stage = stage;
    e.event_type = type;
    e.user_id = user;
    e.user = id;
    e.country = country;
    e.campaign = campaign;
    e.amount = amount;
    fold.add(e);
  };
  event(t0, "facebook", "bottom", "checkout.complete", "u1", 1, "Brazil", "cmp-1", Money(100000));
  event(t0 + kMinute, "facebook", "bottom", "checkout.complete", "u1", 1, "Brazil", "cmp-1", Money(50000));
  event(t0 + kHour, "facebook", "top", "ad.view", "u2", 2, std::nullopt, std::nullopt, std::nullopt);
  event(t0 + kDay, "tiktok", "top", "like", std::nullopt, std::nullopt, "Kenya", std::nullopt, std::nullopt);
  const auto rows = fold.bucket_deltas();
  for (Grain g : kGrains) {
    int64_t all = 0;
    for (const auto& [key, data] : rows)
      if (key.grain == g && key.level == Level{"", "", ""}) all += data.totals.events;
    CHECK(all == 4);
  }
  const auto& day = rows.at(BucketKey{Grain::day, floor_to(Grain::day, t0), Level{"facebook", "", ""}});
  CHECK(day.totals.events == 3);
  CHECK(day.totals.purchases == 2);
  CHECK(day.totals.revenue == Money(150000));
  CHECK(day.users.size() == 2);
  CHECK(day.countries.at(std::string("Brazil")).users.size() == 1);
  CHECK(day.countries.at(std::nullopt).totals.events == 1);
  CHECK(day.campaigns.at("cmp-1").purchases == 2);
  CHECK(rows.count(BucketKey{Grain::minute, floor_to(Grain::minute, t0), Level{"facebook", "bottom", "checkout.complete"}}));
  const auto& users = fold.user_deltas();
  CHECK(users.size() == 4);  // u1 and u2, hour and day; the tiktok event has no user
  CHECK(users.at(UserKey{"u1", "facebook", Grain::day, floor_to(Grain::day, t0), "checkout.complete"}) ==
        UserTotals{2, Money(150000)});
  CHECK(fold.events() == 4);
}

TEST_CASE("PostgreSQL text formats: array literals and bytea", "[rollup]") {
  using namespace eventhub::pg;
  CHECK(array_literal({"a", "", "x\"y", "b\\c"}) == R"({"a","","x\"y","b\\c"})");
  CHECK(bytea_from_text("\\x00ff10") == std::string("\x00\xff\x10", 3));
  CHECK_THROWS(bytea_from_text("00ff"));
  CHECK_THROWS(bytea_from_text("\\x0g"));
  std::string row;
  append_copy_bytea(row, std::string("\x01\xab", 2));
  CHECK(row == "\\\\x01ab");
}
