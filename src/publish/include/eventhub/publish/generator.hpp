#pragma once
// Synthetic facebook/tiktok events for `eventhub publish` (CONTRACT.md "Events").
//
// Event n is a pure function of (seed, n, base time, nominal rate): whichever connection sends it and
// in whatever order, the same options give byte-identical events. Users (100k) have attributes that
// depend on the user only (same user, same name/country/device in every run and every seed); campaigns
// (1000), countries (30, a few with non-ASCII names), event types and purchases follow skewed
// distributions (top of the funnel ~85%, a few heavy users and campaigns). Timestamps are spread over
// the ten minutes before the anchor (plus a little clock skew ahead of it), so they arrive out of order.
// No I/O, no globals: any thread.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace eventhub::publish {

struct GeneratorOptions {
  uint64_t seed = 1;
  double duplicate_ratio = 0;  // share of events that resend an earlier event (same id, same content)
  double invalid_ratio = 0;    // share of deliberately invalid events
  int64_t base_time_ms = 0;    // Unix ms the timestamps are anchored to (event 0)
  double nominal_rate = 0;     // events/s; > 0 moves the anchor forward by n / rate (0: all around base)
};

enum class EventKind { original, duplicate, invalid };

// Ways an invalid event is broken; every one must make events::validate_event report an error.
enum class InvalidKind {
  missing_event_id,
  empty_event_id,
  long_event_id,
  bad_timestamp,
  impossible_timestamp,
  unknown_source,
  unknown_funnel_stage,
  wrong_event_type,
  missing_user,
  user_id_not_string,
  number_as_string,
  engagement_not_object,
  amount_as_number,
};
inline constexpr int kInvalidKinds = 13;

struct GeneratedEvent {
  std::string json;         // one compact JSON object (for invalid events: an object that fails validation)
  EventKind kind = EventKind::original;
  int64_t id_index = -1;    // n whose eventId this event carries (a duplicate: the original's n); -1 = none
  std::optional<InvalidKind> invalid;
};

class EventGenerator {
 public:
  explicit EventGenerator(GeneratorOptions options);

  const GeneratorOptions& options() const { return options_; }

  GeneratedEvent generate(int64_t n) const;

  // Appends events [first, first + count) to `body` (a JSON array when `as_array`, else the single
  // event; as_array=false requires count == 1) and their id indexes to `ids`.
  void append_body(int64_t first, int64_t count, bool as_array, std::string& body, std::vector<int64_t>& ids) const;

  // "evt-<seed>-<n>": the id of original event n (and of every duplicate of it).
  std::string event_id(int64_t n) const;

  EventKind kind_of(int64_t n) const;

 private:
  void append_original(int64_t n, std::string& out) const;
  int64_t duplicate_target(int64_t n) const;

  GeneratorOptions options_;
  double invalid_threshold_;  // duplicate_ratio + invalid_ratio, clamped to 1
};


}  // namespace eventhub::publish
