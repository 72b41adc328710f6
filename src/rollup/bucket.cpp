#include <eventhub/rollup/bucket.hpp>

#include <eventhub/events/vocabulary.hpp>

#include <stdexcept>

namespace eventhub::rollup {

std::array<Level, 5> levels_of(std::string_view source, std::string_view stage, std::string_view type) {
  const std::string s(source), st(stage), t(type);
  return {Level{s, st, t}, Level{s, st, ""}, Level{s, "", ""}, Level{"", st, ""}, Level{"", "", ""}};
}

std::vector<Level> levels_for(const std::optional<std::string>& source, const std::optional<std::string>& stage,
                              const std::optional<std::string>& type) {
  std::vector<Level> out;
  if (!type) {
    out.push_back({source.value_or(""), stage.value_or(""), ""});
    return out;
  }
  for (const auto& s : events::sources()) {
    if (source && *source != s.name) continue;
    const auto type_stage = events::stage_of(s.name, *type);
    if (!type_stage || (stage && *stage != *type_stage)) continue;
    out.push_back({std::string(s.name), std::string(*type_stage), *type});
  }
  return out;
}

namespace {
// Both maps are sorted: walk them together, inserting with a hint (no search per key).
template <class Map, class Add>
void merge_sorted(Map& into, const Map& from, Add add) {
  auto hint = into.begin();
  for (const auto& [key, value] : from) {
    while (hint != into.end() && hint->first < key) ++hint;
    if (hint == into.end() || key < hint->first) hint = into.emplace_hint(hint, key, typename Map::mapped_type{});
    add(hint->second, value);
  }
}
}  // namespace

void BucketData::merge(const BucketData& other) {
  totals += other.totals;
  users |= other.users;
  merge_sorted(countries, other.countries, [](CountryCell& mine, const CountryCell& cell) {
    mine.totals += cell.totals;
    mine.users |= cell.users;
  });
  merge_sorted(campaigns, other.campaigns, [](Totals& mine, const Totals& t) { mine += t; });
}

// Blob format (little endian, version byte first so the format can change):
//   countries: 0x01, then per entry in key order: flags (bit 0: has a country), [varint length, bytes],
//              varint events, varint purchases, revenue (16 bytes, two's complement), varint set
//              length, the set's portable roaring bytes
//   campaigns: 0x01, then per entry: varint length, bytes, varint events, varint purchases, revenue
// An empty map is stored as no bytes at all.
namespace {

constexpr unsigned char kVersion = 1;

void put_varint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

void put_money(std::string& out, Money m) {
  auto u = static_cast<unsigned __int128>(m);
  for (int i = 0; i < 16; ++i) {
    out.push_back(static_cast<char>(static_cast<unsigned char>(u & 0xff)));
    u >>= 8;
  }
}

void put_bytes(std::string& out, std::string_view bytes) {
  put_varint(out, bytes.size());
  out.append(bytes);
}

void put_totals(std::string& out, const Totals& t) {
  put_varint(out, static_cast<uint64_t>(t.events));
  put_varint(out, static_cast<uint64_t>(t.purchases));
  put_money(out, t.revenue);
}

struct Reader {
  std::string_view in;
  std::size_t pos = 0;

  [[noreturn]] void fail() const { throw std::runtime_error("rollup: malformed rollup blob"); }
  unsigned char byte() {
    if (pos >= in.size()) fail();
    return static_cast<unsigned char>(in[pos++]);
  }
  uint64_t varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      const unsigned char b = byte();
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) return v;
    }
    fail();
  }
  std::string_view bytes() {
    const uint64_t n = varint();
    if (n > in.size() - pos) fail();
    const std::string_view out = in.substr(pos, n);
    pos += n;
    return out;
  }
  Money money() {
    unsigned __int128 u = 0;
    for (int i = 0; i < 16; ++i) u |= static_cast<unsigned __int128>(byte()) << (8 * i);
    return static_cast<Money>(u);
  }
  Totals totals() {
    Totals t;
    t.events = static_cast<int64_t>(varint());
    t.purchases = static_cast<int64_t>(varint());
    t.revenue = money();
    return t;
  }
  bool done() const { return pos == in.size(); }
};

}  // namespace

std::string encode_countries(const CountryMap& countries) {
  std::string out;
  if (countries.empty()) return out;
  out.push_back(static_cast<char>(kVersion));
  std::string set;
  for (const auto& [country, cell] : countries) {
    out.push_back(static_cast<char>(country ? 1 : 0));
    if (country) put_bytes(out, *country);
    put_totals(out, cell.totals);
    set.clear();
    cell.users.serialize_to(set);
    put_bytes(out, set);
  }
  return out;
}

CountryMap decode_countries(std::string_view bytes) {
  CountryMap out;
  if (bytes.empty()) return out;
  Reader r{bytes};
  if (r.byte() != kVersion) r.fail();
  while (!r.done()) {
    const unsigned char flags = r.byte();
    if (flags > 1) r.fail();
    std::optional<std::string> country;
    if (flags & 1) country = std::string(r.bytes());
    CountryCell cell;
    cell.totals = r.totals();
    cell.users = UserSet::deserialize(r.bytes());
    out.emplace(std::move(country), std::move(cell));
  }
  return out;
}

std::string encode_campaigns(const CampaignMap& campaigns) {
  std::string out;
  if (campaigns.empty()) return out;
  out.push_back(static_cast<char>(kVersion));
  for (const auto& [campaign, t] : campaigns) {
    put_bytes(out, campaign);
    put_totals(out, t);
  }
  return out;
}

CampaignMap decode_campaigns(std::string_view bytes) {
  CampaignMap out;
  if (bytes.empty()) return out;
  Reader r{bytes};
  if (r.byte() != kVersion) r.fail();
  while (!r.done()) {
    std::string campaign(r.bytes());
    out.emplace(std::move(campaign), r.totals());
  }
  return out;
}

}  // namespace eventhub::rollup
