#pragma once
// Pure pieces of the worker's batch persistence: turning stored rows into PostgreSQL COPY text,
// ordering and de-duplicating a batch, and classifying database failures. No I/O: unit-tested
// directly and shared by the batch writer and the benchmarks.

#include <eventhub/events/event.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace eventhub::worker {

// The columns written by the worker, in COPY order (received_at takes its default, now()).
inline constexpr const char* kCopyColumns =
    "event_id, source, funnel_stage, event_type, event_time, user_id, country, campaign_id, "
    "purchase_amount, data, extra";

// Appends one COPY text-format field: backslash, tab, newline and carriage return escaped; nullopt
// becomes \N. The value is copied byte for byte otherwise (UTF-8, jsonb text as is).
void append_copy_field(std::string& out, std::string_view value);
void append_copy_field(std::string& out, const std::optional<std::string>& value);

// Appends one row: fields in kCopyColumns order, tab separated, newline terminated.
void append_copy_row(std::string& out, const events::EventRow& row);

// Positions (into `ids`) of the rows to write, sorted by event id; for equal ids only the first
// position (the earliest in the batch: first wins) is kept. `duplicate_of[i]` is, for every input
// position, the position kept for its id (itself when kept).
struct BatchOrder {
  std::vector<std::size_t> keep;          // sorted by id
  std::vector<std::size_t> duplicate_of;  // size == ids.size()
};
BatchOrder order_and_dedupe(const std::vector<std::string_view>& ids);

// How the worker reacts to a failed batch.
enum class FailureKind {
  retry,  // the database (not the data) is the problem: keep the messages, wait, try again
  data,   // something in the batch can never be stored: isolate it (split) and dead-letter it
};
// From a SQLSTATE ("" = no SQLSTATE: connection-level failure).
FailureKind classify_sqlstate(std::string_view sqlstate);

// Split of [begin, end) into two non-empty halves; requires end - begin >= 2.
inline std::size_t split_point(std::size_t begin, std::size_t end) { return begin + (end - begin) / 2; }

}  // namespace eventhub::worker
