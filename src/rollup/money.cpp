#include <eventhub/rollup/money.hpp>

#include <algorithm>

namespace eventhub::rollup {

namespace {

std::string digits_of(unsigned __int128 v) {
  std::string out;
  do {
    out.push_back(static_cast<char>('0' + static_cast<int>(v % 10)));
    v /= 10;
  } while (v != 0);
  std::reverse(out.begin(), out.end());
  return out;
}

// |amount| in units of 10^-places, with `places` decimals written.
std::string fixed(unsigned __int128 units, int places) {
  std::string d = digits_of(units);
  if (static_cast<int>(d.size()) <= places) d.insert(0, static_cast<std::size_t>(places + 1) - d.size(), '0');
  if (places > 0) d.insert(d.size() - static_cast<std::size_t>(places), 1, '.');
  return d;
}

unsigned __int128 magnitude(Money m) { return m < 0 ? static_cast<unsigned __int128>(-(m + 1)) + 1 : static_cast<unsigned __int128>(m); }

}  // namespace

std::optional<Money> parse_money(std::string_view s) {
  bool negative = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  const std::size_t dot = s.find('.');
  const std::string_view whole = s.substr(0, dot);
  const std::string_view frac = dot == std::string_view::npos ? std::string_view() : s.substr(dot + 1);
  if (whole.empty() || whole.size() > 30 || frac.size() > static_cast<std::size_t>(kMoneyScale)) return std::nullopt;
  if (dot != std::string_view::npos && frac.empty()) return std::nullopt;
  Money v = 0;
  for (char c : whole) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  for (int i = 0; i < kMoneyScale; ++i) {
    const char c = i < static_cast<int>(frac.size()) ? frac[static_cast<std::size_t>(i)] : '0';
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return negative ? -v : v;
}

std::string money_exact(Money amount) {
  return (amount < 0 ? "-" : "") + fixed(magnitude(amount), kMoneyScale);
}

std::string money_2dp(Money amount) {
  const unsigned __int128 cents = (magnitude(amount) + 50) / 100;  // half away from zero
  return (amount < 0 && cents != 0 ? "-" : "") + fixed(cents, 2);
}

}  // namespace eventhub::rollup
