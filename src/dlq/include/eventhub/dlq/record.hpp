#pragma once
// The dead-letter record format (library eventhub_dlq_record), shared by the worker (writes dead
// letters) and `eventhub dlq` (library eventhub_dlq_tool, lists and replays them). It lives in
// neither: the format is the contract between the two (roles never include each other), and it is
// eventhub's format on top of NATS messages rather than NATS vocabulary, so not in nats/ either.
// Pure apart from building nats::Message values; no connection, no I/O.
//
// A dead letter is the original payload, published to
// `<dlq_subject_prefix>.<reason>` on the DLQ stream, with the original headers plus:
//   Eventhub-Dlq-Reason           invalid_json | invalid_event | db_rejected | max_deliveries
//   Eventhub-Dlq-Error            human-readable detail (one line, at most 1000 bytes)
//   Eventhub-Original-Subject     subject the event was published to (replay target)
//   Eventhub-Original-Stream-Seq  its sequence in the event stream
//   Eventhub-Original-Msg-Id      the original Nats-Msg-Id, if any (Nats-* headers are not copied:
//                                 they are instructions to the server, not data)
//   Eventhub-Delivery-Count       deliveries of the original when it was dead-lettered
//   Eventhub-Dead-Lettered-At     RFC 3339 UTC time
// The dead letter's own Nats-Msg-Id is "dlq:<stream>:<stream seq>", so a worker that crashed after
// the PubAck but before terminating the original does not store the same dead letter twice.

#include <eventhub/nats/message.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace eventhub::dlq {

inline constexpr const char* kHeaderReason = "Eventhub-Dlq-Reason";
inline constexpr const char* kHeaderError = "Eventhub-Dlq-Error";
inline constexpr const char* kHeaderOriginalSubject = "Eventhub-Original-Subject";
inline constexpr const char* kHeaderOriginalSeq = "Eventhub-Original-Stream-Seq";
inline constexpr const char* kHeaderOriginalMsgId = "Eventhub-Original-Msg-Id";
inline constexpr const char* kHeaderDeliveryCount = "Eventhub-Delivery-Count";
inline constexpr const char* kHeaderDeadLetteredAt = "Eventhub-Dead-Lettered-At";

// Reasons (also the last subject token and the metric label).
inline constexpr const char* kReasonInvalidJson = "invalid_json";
inline constexpr const char* kReasonInvalidEvent = "invalid_event";
inline constexpr const char* kReasonDbRejected = "db_rejected";
inline constexpr const char* kReasonMaxDeliveries = "max_deliveries";

std::string dlq_subject(std::string_view prefix, std::string_view reason);

// What the worker knows about the message it dead-letters.
struct DeadLetterInfo {
  std::string reason;
  std::string error;
  std::string original_subject;
  std::string original_stream;
  uint64_t original_stream_seq = 0;
  uint64_t delivery_count = 0;
  int64_t dead_lettered_at_ns = 0;  // since the epoch
};

// Builds the dead-letter message: payload and non-Nats headers of `original` copied, the Eventhub-*
// headers added. Throws nats::Error (a std::runtime_error) on a cnats failure.
nats::Message make_dead_letter(const nats::Message& original, std::string_view dlq_subject_prefix,
                               const DeadLetterInfo& info);

// One-line error text for a header: control characters become spaces, cut at `max` bytes on a
// UTF-8 boundary.
std::string sanitize_line(std::string_view text, std::size_t max);

// The Nats-Msg-Id used when replaying dead letter `dlq_seq` ("<original id>:replay:<seq>" or
// "replay:<stream>:<seq>"): unique per dead letter, so the event stream's duplicate window never
// swallows a replay, yet a replay retried after a crash is de-duplicated.
std::string replay_msg_id(const std::optional<std::string>& original_msg_id, std::string_view dlq_stream,
                          uint64_t dlq_seq);

// Builds the replay of dead letter `dlq_seq`: its payload and non-Eventhub, non-Nats headers, to the
// original subject, Nats-Msg-Id = replay_msg_id(…), plus Eventhub-Replayed-From "<dlq stream>:<seq>".
// An empty Message when the letter has no original subject. Throws nats::Error.
nats::Message make_replay(const nats::Message& letter, std::string_view dlq_stream, uint64_t dlq_seq);

// One `dlq list` line: "<seq>  <time>  <reason>  deliveries=<n>  <subject>  <excerpt>" where the
// payload excerpt is at most 120 bytes (sanitized, "…" appended when cut).
struct ListEntry {
  uint64_t seq = 0;
  std::string time;
  std::string reason;
  std::string delivery_count;
  std::string original_subject;
  std::string_view payload;
  std::string error;
};
std::string format_list_line(const ListEntry& entry);
// The entry of dead letter `seq` (missing headers stay empty; `payload` views the letter's data).
ListEntry list_entry(uint64_t seq, const nats::Message& letter);

}  // namespace eventhub::dlq
