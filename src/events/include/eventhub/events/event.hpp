#pragma once
// The event schema of CONTRACT.md ("Events") as pure functions: strict JSON parsing, validation,
// and extraction of the typed columns the worker stores. Shared by ingest (reject at the door) and
// the worker (re-check what it reads: anything that fails is poison and goes to the DLQ).
// No I/O, no globals: safe on any thread.

#include <boost/json/value.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace eventhub::events {

struct ParseLimits {
  std::size_t max_depth = 32;           // nesting of arrays/objects (a batch array counts as one level)
  std::size_t max_string_bytes = 65536; // any single string or key
};

// Outcome of parse_strict: either `value` is set, or `error` names the problem ("invalid UTF-8 at
// byte 17", "duplicate key \"eventId\" at $[3]", "nesting deeper than 32", …).
struct ParseResult {
  std::optional<boost::json::value> value;
  std::string error;
};

// Parses JSON rejecting what Boost.JSON would silently accept or what PostgreSQL jsonb cannot store:
// invalid UTF-8, duplicate object keys, nesting over the limit, strings containing U+0000, numbers
// that do not fit a double (or integers that overflow 64 bits), over-long strings.
ParseResult parse_strict(std::string_view text, const ParseLimits& limits = {});
// The same, allocating the value from `storage` (e.g. a per-request monotonic_resource).
ParseResult parse_strict(std::string_view text, const ParseLimits& limits, boost::json::storage_ptr storage);

// Validation errors of one event, each "path: reason" (e.g. "data.user.age: expected number").
// Empty means valid. Paths are relative to the event ("eventId", "data.engagement.device").
std::vector<std::string> validate_event(const boost::json::value& event);

// The same checks with the parts kept apart: `kind` is a short, bounded label for metrics
// ("missing", "type", "enum", "range", "format", "length", "event_type"); `path` + ": " + `reason`
// is the string validate_event returns.
struct ValidationIssue {
  std::string path;
  std::string reason;
  std::string_view kind;  // static string
};
std::vector<ValidationIssue> check_event(const boost::json::value& event);

// purchaseAmount format: ^(0|[1-9][0-9]{0,13})(\.[0-9]{1,4})?$ (fits numeric(18,4)).
bool is_decimal_amount(std::string_view s);

// The stored form of a valid event (validate_event returned nothing).
struct EventRow {
  std::string event_id;
  std::string source;
  std::string funnel_stage;
  std::string event_type;
  std::string timestamp;                  // RFC 3339 as received
  std::optional<std::string> user_id;     // data.user.userId
  std::optional<std::string> country;     // facebook data.user.location.country, tiktok data.engagement.country
  std::optional<std::string> campaign_id; // data.engagement.campaignId
  std::optional<std::string> purchase_amount;  // data.engagement.purchaseAmount when not null (decimal string)
  std::string data_json;                  // serialized `data` object
  std::optional<std::string> extra_json;  // unknown top-level fields as an object, if any
};

EventRow to_row(const boost::json::object& valid_event);

// Subject suffix for publishing: "<source>.<funnelStage>" of a valid event.
std::string subject_suffix(const boost::json::object& valid_event);

}  // namespace eventhub::events
