#include <eventhub/publish/retry.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <ctime>

namespace eventhub::publish {
namespace {

bool parse_uint(std::string_view s, int64_t& out) {
  if (s.empty() || s.size() > 12) return false;
  out = 0;
  for (const char c : s) {
    if (c < '0' || c > '9') return false;
    out = out * 10 + (c - '0');
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// IMF-fixdate only ("Sun, 06 Nov 1994 08:49:37 GMT"), the form RFC 9110 requires senders to use.
std::optional<std::time_t> parse_imf_fixdate(std::string_view s) {
  if (s.size() != 29 || s[3] != ',' || s[4] != ' ' || s[7] != ' ' || s[11] != ' ' || s[16] != ' ' || s[19] != ':' ||
      s[22] != ':' || s[25] != ' ' || s.substr(26) != "GMT")
    return std::nullopt;
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  int month = -1;
  for (int i = 0; i < 12; ++i)
    if (s.substr(8, 3) == kMonths[i]) month = i;
  int64_t day, year, hour, minute, second;
  if (month < 0 || !parse_uint(s.substr(5, 2), day) || !parse_uint(s.substr(12, 4), year) ||
      !parse_uint(s.substr(17, 2), hour) || !parse_uint(s.substr(20, 2), minute) ||
      !parse_uint(s.substr(23, 2), second) || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60)
    return std::nullopt;
  std::tm tm{};
  tm.tm_year = static_cast<int>(year) - 1900;
  tm.tm_mon = month;
  tm.tm_mday = static_cast<int>(day);
  tm.tm_hour = static_cast<int>(hour);
  tm.tm_min = static_cast<int>(minute);
  tm.tm_sec = static_cast<int>(second);
  return timegm(&tm);
}

}  // namespace

std::chrono::milliseconds backoff_delay(const BackoffPolicy& policy, int attempt,
                                        std::optional<std::chrono::milliseconds> retry_after, double unit_random) {
  const double base = static_cast<double>(policy.base.count());
  const double cap = static_cast<double>(policy.cap.count());
  const double ceiling = std::min(cap, base * std::ldexp(1.0, std::clamp(attempt, 0, 60)));
  const double jitter = std::clamp(unit_random, 0.0, 1.0) * ceiling;
  auto delay = std::chrono::milliseconds(static_cast<int64_t>(jitter));
  if (retry_after) delay += std::clamp(*retry_after, std::chrono::milliseconds{0}, policy.max_retry_after);
  return delay;
}

std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value,
                                                           std::chrono::system_clock::time_point now) {
  value = trim(value);
  int64_t seconds = 0;
  if (parse_uint(value, seconds)) return std::chrono::milliseconds(seconds * 1000);
  const auto when = parse_imf_fixdate(value);
  if (!when) return std::nullopt;
  const auto target = std::chrono::system_clock::from_time_t(*when);
  if (target <= now) return std::chrono::milliseconds{0};
  return std::chrono::ceil<std::chrono::milliseconds>(target - now);
}

bool retryable_status(unsigned status) { return status == 429 || status == 502 || status == 503 || status == 504; }

}  // namespace eventhub::publish
