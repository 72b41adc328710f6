// libFuzzer target: strict parsing + validation + row extraction of webhook bodies must never crash,
// hang or leak, whatever the bytes.
#include <eventhub/events/event.hpp>

#include <boost/json.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace eventhub::events;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = parse_strict(text);
  if (!parsed.value) return 0;
  auto check = [](const boost::json::value& event) {
    if (validate_event(event).empty()) {
      const auto& object = event.as_object();
      auto row = to_row(object);
      (void)subject_suffix(object);
      // A valid event's stored JSON must itself parse strictly (it goes into jsonb).
      if (!parse_strict(row.data_json).value) __builtin_trap();
    }
  };
  if (parsed.value->is_array()) {
    for (const auto& e : parsed.value->as_array()) check(e);
  } else {
    check(*parsed.value);
  }
  return 0;
}
