// libFuzzer target: any query string on any analytics endpoint parses to a valid window or a
// 400-style error naming a parameter; a valid one stays within the documented bounds.
#include <eventhub/analytics/endpoints.hpp>
#include <eventhub/analytics/params.hpp>

#include <cstddef>
#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace eventhub::analytics;
  if (size == 0) return 0;
  const auto specs = endpoints();
  const Endpoint endpoint = specs[data[0] % specs.size()].id;
  const std::string target = "/x?" + std::string(reinterpret_cast<const char*>(data + 1), size - 1);
  const auto params = eventhub::http::parse_query(target);
  const auto parsed = parse_options(endpoint, params, 1'800'000'000'000'000, std::chrono::hours(24 * 7));
  if (parsed.options.has_value() == parsed.error.has_value()) __builtin_trap();
  if (parsed.error) {
    if (parsed.error->parameter.empty() || parsed.error->message.empty()) __builtin_trap();
    return 0;
  }
  const auto& o = *parsed.options;
  if (o.from_us >= o.to_us) __builtin_trap();
  if (o.limit && (*o.limit < 1 || *o.limit > kMaxLimit)) __builtin_trap();
  if ((endpoint == Endpoint::campaigns_top || endpoint == Endpoint::users_top) && !o.limit) __builtin_trap();
  if (endpoint == Endpoint::timeseries && bucket_count(o.granularity, o.from_us, o.to_us) > kMaxBuckets) __builtin_trap();
  return 0;
}
