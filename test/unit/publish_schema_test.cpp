// The generator against the project's own validator (events::validate_event, the one ingest uses):
// every event meant to be valid is valid, every deliberately invalid one is rejected.
#include <eventhub/events/event.hpp>
#include <eventhub/publish/generator.hpp>

#include <catch2/catch.hpp>

using namespace eventhub;

TEST_CASE("generated events pass events::validate_event; invalid ones fail it", "[publish][generator]") {
  publish::GeneratorOptions o;
  o.seed = 2024;
  o.duplicate_ratio = 0.1;
  o.invalid_ratio = 0.2;
  o.base_time_ms = 1'767'225'600'000;
  const publish::EventGenerator gen(o);
  int64_t valid = 0, invalid = 0;
  for (int64_t n = 0; n < 4000; ++n) {
    const auto ev = gen.generate(n);
    const auto parsed = events::parse_strict(ev.json);
    INFO(ev.json);
    REQUIRE(parsed.value.has_value());
    const auto errors = events::validate_event(*parsed.value);
    if (ev.kind == publish::EventKind::invalid) {
      INFO("invalid kind " << static_cast<int>(*ev.invalid));
      CHECK_FALSE(errors.empty());
      ++invalid;
    } else {
      INFO((errors.empty() ? std::string() : errors.front()));
      CHECK(errors.empty());
      const auto row = events::to_row(parsed.value->as_object());
      CHECK(row.event_id == gen.event_id(ev.id_index));
      CHECK(row.user_id.has_value());
      ++valid;
    }
  }
  CHECK(invalid > 600);
  CHECK(valid > 3000);
}
