#pragma once
// Turning a decoded request body into what ingest publishes and what it answers. Pure functions:
// parse (strict), split single/batch, validate each event, serialize the valid ones for JetStream,
// render the 202/422 body. The role wires these to HTTP and the publisher.

#include <eventhub/events/event.hpp>

#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace eventhub::ingest {

// One valid event ready to publish. The views point into the PreparedBody that holds it (its
// parsed document and payload arena); `event_id` and `subject` are NUL-terminated (c-string safe).
struct OutgoingEvent {
  std::size_t index = 0;         // position in the request (0 for a single object)
  std::string_view event_id;     // Nats-Msg-Id
  std::string_view source;       // facebook|tiktok (metrics label)
  std::string_view subject;      // <prefix>.<source>.<stage>
  std::string_view payload;      // the event re-serialized (compact JSON, unknown fields kept)
};

struct RejectedEvent {
  std::size_t index = 0;
  std::optional<std::string> event_id;  // when the event had a string eventId
  std::string source;                   // facebook|tiktok|unknown (metrics label)
  std::vector<std::string> errors;      // "path: reason"
};

enum class BodyProblem {
  none,
  invalid_json,         // 400
  not_object_or_array,  // 400
  empty_array,          // 400
  too_many_events,      // 413
};

struct PreparedBody {
  // Owns what the OutgoingEvent views point to; heap-allocated so moving a PreparedBody keeps
  // the views valid. Parsing allocates from one monotonic buffer per request.
  struct Storage;
  std::unique_ptr<Storage> storage;
  PreparedBody();
  ~PreparedBody();
  PreparedBody(PreparedBody&&) noexcept;
  PreparedBody& operator=(PreparedBody&&) noexcept;

  BodyProblem problem = BodyProblem::none;
  std::string message;                  // for a body problem
  bool batch = false;                   // body was an array
  std::size_t total = 0;                // events in the body
  std::vector<OutgoingEvent> valid;
  std::vector<RejectedEvent> rejected;
  std::map<std::string, std::size_t> issue_kinds;  // ValidationIssue::kind -> count (metrics)
};

struct PrepareOptions {
  events::ParseLimits limits;
  std::size_t max_batch_events = 10'000;
  std::string subject_prefix = "events";
};

PreparedBody prepare_body(std::string_view json_text, const PrepareOptions& options);

// {"accepted":N,"duplicates":D,"rejected":[{"index":i,"eventId":"…"|null,"errors":[…]}]}
std::string render_result(std::size_t accepted, std::size_t duplicates, const std::vector<RejectedEvent>& rejected);

}  // namespace eventhub::ingest
