// libFuzzer target: the one RFC 3339 parser. Any text either fails to parse or names an instant
// that formats back to a text parsing to the same instant (at microseconds), in both syntaxes.
#include <eventhub/common/time.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace eventhub::common;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  for (const bool lenient : {false, true}) {
    const auto t = parse_rfc3339(text, {.allow_space_separator = lenient});
    if (!t) continue;
    if (!lenient && !parse_rfc3339(text, {.allow_space_separator = true})) __builtin_trap();  // lenient accepts more
    for (const auto digits : {FractionDigits::none, FractionDigits::millis, FractionDigits::micros}) {
      const auto again = parse_rfc3339(format_rfc3339(*t, digits));
      if (!again || *again > *t || *t - *again >= Micros(1'000'000)) __builtin_trap();
    }
    if (*parse_rfc3339(format_rfc3339(*t, FractionDigits::micros)) != *t) __builtin_trap();
  }
  return 0;
}
