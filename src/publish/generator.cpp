#include <eventhub/publish/generator.hpp>

#include <eventhub/common/time.hpp>

#include <boost/json.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <stdexcept>

namespace eventhub::publish {
namespace {

constexpr int64_t kUsers = 100'000;
constexpr int kCampaigns = 1000;
constexpr int64_t kDuplicateWindow = 100'000;  // duplicates resend one of the last 100k events
constexpr int kDuplicateWalk = 64;             // steps back looking for an original to resend
constexpr double kTopShare = 0.85;
constexpr double kFacebookUserShare = 0.55;
constexpr int64_t kPastSpreadMs = 10 * 60 * 1000;  // timestamps up to 10 minutes before the anchor
constexpr int64_t kSkewAheadMs = 60 * 1000;        // some clocks run up to a minute ahead
constexpr double kSkewAheadShare = 0.05;

uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// SplitMix64: tiny, fast, and its output is the same on every platform (unlike std distributions).
struct Rng {
  uint64_t state;
  explicit Rng(uint64_t s) : state(s) {}
  uint64_t next() {
    state += 0x9E3779B97F4A7C15ULL;
    return mix64(state);
  }
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }  // [0, 1)
  int64_t below(int64_t n) { return static_cast<int64_t>(uniform() * static_cast<double>(n)); }
  bool chance(double p) { return uniform() < p; }
  double normal() {  // Box-Muller
    const double u1 = 1.0 - uniform();
    const double u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
  }
};

// Streams: the kind/duplicate decision of event n, the content of original n, and user u.
Rng kind_rng(uint64_t seed, int64_t n) { return Rng(mix64(seed * 0x2545F4914F6CDD1DULL + 0x1234567ULL) ^ mix64(static_cast<uint64_t>(n) * 2 + 1)); }
Rng content_rng(uint64_t seed, int64_t n) { return Rng(mix64(seed * 0x9E3779B97F4A7C15ULL + 0xABCDEFULL) ^ mix64(static_cast<uint64_t>(n) * 2)); }
Rng user_rng(int64_t u) { return Rng(mix64(static_cast<uint64_t>(u) + 0x5EED0005EED0ULL)); }

template <class T>
struct Weighted {
  T value;
  double weight;
};

template <class T, std::size_t N>
const T& pick(Rng& rng, const std::array<Weighted<T>, N>& table) {
  double total = 0;
  for (const auto& w : table) total += w.weight;
  double x = rng.uniform() * total;
  for (const auto& w : table) {
    if (x < w.weight) return w.value;
    x -= w.weight;
  }
  return table.back().value;
}

template <class T, std::size_t N>
const T& pick_uniform(Rng& rng, const std::array<T, N>& table) {
  return table[static_cast<std::size_t>(rng.below(N))];
}

struct Country {
  const char* name;
  std::array<const char*, 3> cities;  // nullptr = fewer cities
};

// ~30 countries, weighted like a global social audience; a few names are deliberately non-ASCII.
const std::array<Weighted<Country>, 30> kCountries{{
    {{"United States", {"New York", "Los Angeles", "Chicago"}}, 18},
    {{"India", {"Mumbai", "Delhi", "Bengaluru"}}, 10},
    {{"Brazil", {"São Paulo", "Rio de Janeiro", "Belo Horizonte"}}, 8},
    {{"Indonesia", {"Jakarta", "Surabaya", nullptr}}, 6},
    {{"United Kingdom", {"London", "Manchester", "Glasgow"}}, 5},
    {{"Mexico", {"Mexico City", "Guadalajara", "Monterrey"}}, 5},
    {{"Germany", {"Berlin", "München", "Köln"}}, 4},
    {{"France", {"Paris", "Lyon", "Marseille"}}, 4},
    {{"Philippines", {"Manila", "Cebu", nullptr}}, 4},
    {{"Türkiye", {"İstanbul", "Ankara", "İzmir"}}, 3},
    {{"Vietnam", {"Hà Nội", "Thành phố Hồ Chí Minh", nullptr}}, 3},
    {{"Japan", {"Tokyo", "Osaka", nullptr}}, 3},
    {{"Nigeria", {"Lagos", "Abuja", nullptr}}, 3},
    {{"Egypt", {"Cairo", "Alexandria", nullptr}}, 2},
    {{"Spain", {"Madrid", "Barcelona", "Sevilla"}}, 2},
    {{"Italy", {"Roma", "Milano", nullptr}}, 2},
    {{"Canada", {"Toronto", "Montréal", "Vancouver"}}, 2},
    {{"Thailand", {"Bangkok", "Chiang Mai", nullptr}}, 2},
    {{"Colombia", {"Bogotá", "Medellín", nullptr}}, 2},
    {{"Argentina", {"Buenos Aires", "Córdoba", nullptr}}, 2},
    {{"Poland", {"Warszawa", "Kraków", nullptr}}, 1.5},
    {{"South Korea", {"Seoul", "Busan", nullptr}}, 1.5},
    {{"Australia", {"Sydney", "Melbourne", nullptr}}, 1.5},
    {{"Côte d'Ivoire", {"Abidjan", "Bouaké", nullptr}}, 1},
    {{"Netherlands", {"Amsterdam", "Rotterdam", nullptr}}, 1},
    {{"Saudi Arabia", {"Riyadh", "Jeddah", nullptr}}, 1},
    {{"South Africa", {"Johannesburg", "Cape Town", nullptr}}, 1},
    {{"Kenya", {"Nairobi", "Mombasa", nullptr}}, 1},
    {{"Sweden", {"Stockholm", "Göteborg", nullptr}}, 0.8},
    {{"Réunion", {"Saint-Denis", "Saint-Pierre", nullptr}}, 0.3},
}};

const std::array<const char*, 24> kFirstNames{"Emma", "Liam", "Olivia", "Noah", "Ava", "Mateo", "Sofía", "Lucas",
                                              "Zoë", "Chloé", "Aarav", "Priya", "Yuki", "Hana", "Mehmet", "Ayşe",
                                              "Chinedu", "Amara", "Łukasz", "Björn", "Ngọc", "Omar", "Fatima", "Jack"};
const std::array<const char*, 20> kLastNames{"Smith", "García", "Müller", "Silva", "Nguyễn", "Kumar", "Tanaka",
                                             "Öztürk", "Kowalski", "Okafor", "Dubois", "Rossi", "Kim", "Johnson",
                                             "López", "Andersson", "Haddad", "Brown", "Santos", "Ivanova"};
const std::array<const char*, 16> kHandles{"dance", "foodie", "travel", "gamer", "style", "fit", "tech", "pet",
                                           "music", "art", "daily", "vibes", "beauty", "comedy", "diy", "chef"};
const std::array<const char*, 12> kItems{"Wireless Earbuds", "LED Strip Lights", "Phone Case", "Skincare Set",
                                         "Oversized Hoodie", "Water Bottle", "Running Sneakers", "Lip Gloss",
                                         "Air Fryer", "Mini Projector", "Crop Top", "Ring Light"};

const std::array<Weighted<const char*>, 3> kGenders{{{"male", 48}, {"female", 48}, {"non-binary", 4}}};
const std::array<Weighted<const char*>, 3> kReferrers{{{"newsfeed", 60}, {"marketplace", 25}, {"groups", 15}}};
const std::array<Weighted<const char*>, 3> kClickPositions{{{"top_left", 35}, {"center", 45}, {"bottom_right", 20}}};
const std::array<Weighted<const char*>, 2> kFbDevices{{{"mobile", 75}, {"desktop", 25}}};
const std::array<Weighted<const char*>, 3> kBrowsers{{{"Chrome", 60}, {"Safari", 28}, {"Firefox", 12}}};
const std::array<Weighted<const char*>, 3> kTtDevices{{{"Android", 55}, {"iOS", 40}, {"Desktop", 5}}};
const std::array<Weighted<const char*>, 4> kFbTop{{{"ad.view", 45}, {"video.view", 30}, {"page.like", 15}, {"comment", 10}}};
const std::array<Weighted<const char*>, 3> kFbBottom{{{"ad.click", 70}, {"form.submission", 18}, {"checkout.complete", 12}}};
const std::array<Weighted<const char*>, 4> kTtTop{{{"video.view", 60}, {"like", 25}, {"share", 8}, {"comment", 7}}};
const std::array<Weighted<const char*>, 3> kTtBottom{{{"profile.visit", 55}, {"follow", 30}, {"purchase", 15}}};

void append_escaped(std::string& out, std::string_view s) {
  out += '"';
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", u);
      out += buf;
    } else {
      out += c;
    }
  }
  out += '"';
}

// Appends `"key":` — keys are our own literals, nothing to escape.
void key(std::string& out, const char* k) {
  out += '"';
  out += k;
  out += "\":";
}

void str_field(std::string& out, const char* k, std::string_view v, bool comma = true) {
  key(out, k);
  append_escaped(out, v);
  if (comma) out += ',';
}

void null_field(std::string& out, const char* k, bool comma = true) {
  key(out, k);
  out += "null";
  if (comma) out += ',';
}

void int_field(std::string& out, const char* k, int64_t v, bool comma = true) {
  key(out, k);
  out += std::to_string(v);
  if (comma) out += ',';
}

void fixed_field(std::string& out, const char* k, double v, int decimals, bool comma = true) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  key(out, k);
  out += buf;
  if (comma) out += ',';
}

std::string padded(const char* prefix, int64_t v, int width) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%s%0*lld", prefix, width, static_cast<long long>(v));
  return buf;
}

std::string hex_id(const char* prefix, uint64_t v) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%s%08llx", prefix, static_cast<unsigned long long>(v & 0xFFFFFFFFULL));
  return buf;
}

struct User {
  bool facebook = true;
  std::string user_id;
  std::string name;      // facebook
  int age = 0;           // facebook
  const char* gender = nullptr;
  std::string username;  // tiktok
  int64_t followers = 0; // tiktok
  const char* tt_device = nullptr;
  const Country* country = nullptr;
  const char* city = nullptr;
};

// Everything about a user depends on the user alone: the same user looks the same in every run.
User make_user(int64_t u) {
  Rng r = user_rng(u);
  User user;
  user.facebook = r.chance(kFacebookUserShare);
  user.country = &pick(r, kCountries);
  int cities = 0;
  while (cities < 3 && user.country->cities[static_cast<std::size_t>(cities)] != nullptr) ++cities;
  user.city = user.country->cities[static_cast<std::size_t>(r.below(cities))];
  const char* first = pick_uniform(r, kFirstNames);
  const char* last = pick_uniform(r, kLastNames);
  if (user.facebook) {
    user.user_id = padded("fb-", u, 6);
    user.name = std::string(first) + " " + last;
    user.age = 18 + static_cast<int>(std::pow(r.uniform(), 1.6) * 52);
    user.gender = pick(r, kGenders);
  } else {
    user.user_id = padded("tt-", u, 6);
    user.username = std::string(pick_uniform(r, kHandles)) + "_" + pick_uniform(r, kHandles) + std::to_string(r.below(10'000));
    user.followers = static_cast<int64_t>(std::exp(r.uniform() * 14.0)) - 1;  // 0 .. ~1.2M, heavy tail
    user.tt_device = pick(r, kTtDevices);
  }
  return user;
}

std::string purchase_amount(Rng& r) {
  const double amount = std::clamp(std::exp(3.4 + 0.9 * r.normal()), 0.99, 4999.99);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", amount);
  return buf;
}

// Event timestamps carry milliseconds, as the webhooks of both sources do.
std::string rfc3339_ms(int64_t unix_ms) {
  return common::format_rfc3339(common::from_unix_us(unix_ms * 1000), common::FractionDigits::millis);
}

boost::json::object& child(boost::json::object& o, const char* k) { return o.at(k).as_object(); }

}  // namespace

EventGenerator::EventGenerator(GeneratorOptions options) : options_(options) {
  options_.duplicate_ratio = std::clamp(options_.duplicate_ratio, 0.0, 1.0);
  options_.invalid_ratio = std::clamp(options_.invalid_ratio, 0.0, 1.0);
  invalid_threshold_ = std::min(1.0, options_.duplicate_ratio + options_.invalid_ratio);
}

std::string EventGenerator::event_id(int64_t n) const {
  return "evt-" + std::to_string(options_.seed) + "-" + std::to_string(n);
}

EventKind EventGenerator::kind_of(int64_t n) const {
  Rng r = kind_rng(options_.seed, n);
  const double u = r.uniform();
  if (u < options_.duplicate_ratio) return n > 0 ? EventKind::duplicate : EventKind::original;
  if (u < invalid_threshold_) return EventKind::invalid;
  return EventKind::original;
}

// An earlier original (recent, like a client retrying), or -1 when none is found nearby.
int64_t EventGenerator::duplicate_target(int64_t n) const {
  Rng r = kind_rng(options_.seed, n);
  r.next();  // the kind draw
  const int64_t window = std::min(n, kDuplicateWindow);
  int64_t j = n - 1 - r.below(window);
  for (int step = 0; step < kDuplicateWalk && j >= 0; ++step, --j)
    if (kind_of(j) == EventKind::original) return j;
  return -1;
}

void EventGenerator::append_original(int64_t n, std::string& out) const {
  Rng r = content_rng(options_.seed, n);
  const int64_t u = static_cast<int64_t>(std::pow(r.uniform(), 2.0) * static_cast<double>(kUsers));
  const User user = make_user(std::min(u, kUsers - 1));
  const bool top = r.chance(kTopShare);

  int64_t anchor = options_.base_time_ms;
  if (options_.nominal_rate > 0) anchor += static_cast<int64_t>(static_cast<double>(n) * 1000.0 / options_.nominal_rate);
  const int64_t offset = r.chance(kSkewAheadShare) ? r.below(kSkewAheadMs) : -r.below(kPastSpreadMs);
  const int64_t ts = anchor + offset;
  const std::string timestamp = rfc3339_ms(ts);
  const char* source = user.facebook ? "facebook" : "tiktok";
  const char* type = user.facebook ? (top ? pick(r, kFbTop) : pick(r, kFbBottom))
                                   : (top ? pick(r, kTtTop) : pick(r, kTtBottom));
  const std::string_view type_sv(type);

  out += '{';
  str_field(out, "eventId", event_id(n));
  str_field(out, "timestamp", timestamp);
  str_field(out, "source", source);
  str_field(out, "funnelStage", top ? "top" : "bottom");
  str_field(out, "eventType", type);
  key(out, "data");
  out += "{";
  key(out, "user");
  out += '{';
  str_field(out, "userId", user.user_id);
  if (user.facebook) {
    str_field(out, "name", user.name);
    int_field(out, "age", user.age);
    str_field(out, "gender", user.gender);
    key(out, "location");
    out += '{';
    str_field(out, "country", user.country->name);
    str_field(out, "city", user.city, false);
    out += '}';
  } else {
    str_field(out, "username", user.username);
    int_field(out, "followers", user.followers, false);
  }
  out += "},";
  key(out, "engagement");
  out += '{';
  const std::string action_time = rfc3339_ms(ts - r.below(5000));
  if (user.facebook && top) {
    str_field(out, "actionTime", action_time);
    str_field(out, "referrer", pick(r, kReferrers));
    if (type_sv == "video.view" || (type_sv == "ad.view" && r.chance(0.3)))
      str_field(out, "videoId", hex_id("vid-", r.next()), false);
    else
      null_field(out, "videoId", false);
  } else if (user.facebook) {
    const int64_t campaign = 1 + static_cast<int64_t>(std::pow(r.uniform(), 3.0) * kCampaigns);
    str_field(out, "adId", "ad-" + padded("", campaign, 4) + "-" + std::to_string(1 + r.below(8)));
    str_field(out, "campaignId", padded("cmp-", std::min<int64_t>(campaign, kCampaigns), 4));
    str_field(out, "clickPosition", pick(r, kClickPositions));
    str_field(out, "device", pick(r, kFbDevices));
    str_field(out, "browser", pick(r, kBrowsers));
    if (type_sv == "checkout.complete")
      str_field(out, "purchaseAmount", purchase_amount(r), false);
    else
      null_field(out, "purchaseAmount", false);
  } else if (top) {
    const double watch = std::pow(r.uniform(), 0.7) * 60.0;
    fixed_field(out, "watchTime", watch, 1);
    fixed_field(out, "percentageWatched", std::min(100.0, watch / 60.0 * 100.0 * (0.5 + r.uniform())), 1);
    str_field(out, "device", user.tt_device);
    str_field(out, "country", user.country->name);
    str_field(out, "videoId", hex_id("ttv-", r.next()), false);
  } else {
    str_field(out, "actionTime", action_time);
    if (type_sv == "purchase") {
      null_field(out, "profileId");
      str_field(out, "purchasedItem", pick_uniform(r, kItems));
      str_field(out, "purchaseAmount", purchase_amount(r), false);
    } else {
      str_field(out, "profileId", padded("prof-", r.below(50'000), 5));
      null_field(out, "purchasedItem");
      null_field(out, "purchaseAmount", false);
    }
  }
  out += "}}}";
}

GeneratedEvent EventGenerator::generate(int64_t n) const {
  GeneratedEvent ev;
  ev.kind = kind_of(n);
  if (ev.kind == EventKind::duplicate) {
    const int64_t target = duplicate_target(n);
    if (target >= 0) {
      append_original(target, ev.json);
      ev.id_index = target;
      return ev;
    }
    ev.kind = EventKind::original;  // nothing to resend nearby: send a new event instead
  }
  append_original(n, ev.json);
  ev.id_index = n;
  if (ev.kind == EventKind::original) return ev;

  Rng r = kind_rng(options_.seed, n);
  r.next();
  r.next();
  const auto how = static_cast<InvalidKind>(r.below(kInvalidKinds));
  ev.invalid = how;
  auto value = boost::json::parse(ev.json);
  auto& o = value.as_object();
  const bool facebook = o.at("source").as_string() == "facebook";
  const bool top = o.at("funnelStage").as_string() == "top";
  auto& data = child(o, "data");
  switch (how) {
    case InvalidKind::missing_event_id:
      o.erase("eventId");
      ev.id_index = -1;
      break;
    case InvalidKind::empty_event_id:
      o["eventId"] = "";
      ev.id_index = -1;
      break;
    case InvalidKind::long_event_id:
      o["eventId"] = event_id(n) + "-" + std::string(130, 'x');
      ev.id_index = -1;
      break;
    case InvalidKind::bad_timestamp:
      o["timestamp"] = "yesterday at noon";
      break;
    case InvalidKind::impossible_timestamp:
      o["timestamp"] = "2025-02-30T25:61:00Z";
      break;
    case InvalidKind::unknown_source:
      o["source"] = "snapchat";
      break;
    case InvalidKind::unknown_funnel_stage:
      o["funnelStage"] = "middle";
      break;
    case InvalidKind::wrong_event_type:
      o["eventType"] = facebook ? (top ? "purchase" : "video.view") : (top ? "checkout.complete" : "share");
      break;
    case InvalidKind::missing_user:
      data.erase("user");
      break;
    case InvalidKind::user_id_not_string:
      child(data, "user")["userId"] = 424242;
      break;
    case InvalidKind::number_as_string:
      if (facebook)
        child(data, "user")["age"] = "thirty-two";
      else
        child(data, "user")["followers"] = "1.2k";
      break;
    case InvalidKind::engagement_not_object:
      data["engagement"] = "clicked";
      break;
    case InvalidKind::amount_as_number:
      if (!top)
        child(data, "engagement")["purchaseAmount"] = 19.99;  // must be a decimal string or null
      else if (facebook)
        child(data, "engagement")["referrer"] = "email";       // not one of the allowed referrers
      else
        child(data, "engagement")["percentageWatched"] = "most";
      break;
  }
  ev.json = boost::json::serialize(value);
  return ev;
}

void EventGenerator::append_body(int64_t first, int64_t count, bool as_array, std::string& body,
                                 std::vector<int64_t>& ids) const {
  if (!as_array && count != 1) throw std::invalid_argument("append_body: a single-event body holds one event");
  if (as_array) body += '[';
  for (int64_t n = first; n < first + count; ++n) {
    GeneratedEvent ev = generate(n);
    if (n != first) body += ',';
    body += ev.json;
    ids.push_back(ev.id_index);
  }
  if (as_array) body += ']';
}

}  // namespace eventhub::publish
