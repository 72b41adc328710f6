// libFuzzer target: any query string on any analytics endpoint parses to a valid window or a
// 400-style error naming a parameter, and never to SQL that carries user text.
#include <eventhub/analytics/query.hpp>

#include <cstddef>
#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace eventhub::analytics;
  if (size == 0) return 0;
  const Endpoint endpoint = kEndpoints[data[0] % std::size(kEndpoints)];
  const std::string target = "/x?" + std::string(reinterpret_cast<const char*>(data + 1), size - 1);
  const auto params = eventhub::http::parse_query(target);
  const auto parsed = parse_options(endpoint, params, 1'800'000'000'000'000, std::chrono::hours(24 * 7));
  if (parsed.options.has_value() == parsed.error.has_value()) __builtin_trap();
  if (parsed.error) {
    if (parsed.error->parameter.empty() || parsed.error->message.empty()) __builtin_trap();
    return 0;
  }
  const auto& o = *parsed.options;
  if (o.from_us >= o.to_us || o.limit < 1 || o.limit > kMaxLimit) __builtin_trap();
  if (endpoint == Endpoint::timeseries && bucket_count(o.granularity, o.from_us, o.to_us) > kMaxBuckets) __builtin_trap();
  for (const auto& q : build_queries(endpoint, o)) {
    // User-supplied values travel only as parameters.
    for (const auto* value : {&o.source, &o.funnel_stage, &o.event_type})
      if (*value && !value->value().empty() && q.sql.find("'" + value->value()) != std::string::npos) __builtin_trap();
  }
  return 0;
}
