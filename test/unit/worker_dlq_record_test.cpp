// Dead-letter record format: headers, time formatting/parsing, replay ids, list lines.
#include <eventhub/common/time.hpp>
#include <eventhub/dlq/record.hpp>

#include <catch2/catch.hpp>

#include <cstring>
#include <string>

using namespace eventhub::dlq;

TEST_CASE("dead-letter times: RFC 3339 at milliseconds, read back as NATS nanoseconds", "[dlq][time]") {
  // The header is written with common/time at millisecond precision (as the dlq tool reads it).
  using namespace eventhub::common;
  auto ns = [](const char* text) -> std::optional<int64_t> {
    const auto t = parse_rfc3339(text, {.allow_space_separator = true});
    if (!t) return std::nullopt;
    return to_unix_us(*t) * 1000;
  };
  auto format = [](int64_t unix_ns) { return format_rfc3339(from_unix_us(unix_ns / 1000), FractionDigits::millis); };
  CHECK(ns("1970-01-01T00:00:00Z") == int64_t{0});
  CHECK(ns("1970-01-01T00:00:01.5Z") == int64_t{1'500'000'000});
  CHECK(ns("2026-11-25T08:40:00+01:00") == ns("2026-11-25T07:40:00Z"));
  CHECK(ns("2026-11-25T08:40:00-00:30") == ns("2026-11-25T09:10:00Z"));
  CHECK(ns("2024-02-29T00:00:00Z").has_value());
  CHECK_FALSE(ns("2023-02-29T00:00:00Z").has_value());
  CHECK_FALSE(ns("2026-11-25").has_value());
  CHECK_FALSE(ns("2026-11-25T08:40:00").has_value());  // offset required
  CHECK_FALSE(ns("2026-13-01T00:00:00Z").has_value());
  CHECK_FALSE(ns("2026-11-25T08:40:00Zjunk").has_value());
  CHECK_FALSE(ns("").has_value());

  const int64_t t = *ns("2026-11-25T08:40:00.123Z");
  CHECK(format(t) == "2026-11-25T08:40:00.123Z");
  CHECK(format(0) == "1970-01-01T00:00:00.000Z");
  CHECK(ns(format(t).c_str()) == t);
}

TEST_CASE("replay message ids are unique per dead letter", "[dlq][replay]") {
  CHECK(replay_msg_id(std::string("evt-1"), "EVENTS_DLQ", 7) == "evt-1:replay:7");
  CHECK(replay_msg_id(std::nullopt, "EVENTS_DLQ", 7) == "replay:EVENTS_DLQ:7");
  CHECK(replay_msg_id(std::string(""), "EVENTS_DLQ", 8) == "replay:EVENTS_DLQ:8");
  CHECK(replay_msg_id(std::string("evt-1"), "EVENTS_DLQ", 7) != replay_msg_id(std::string("evt-1"), "EVENTS_DLQ", 8));
}

TEST_CASE("dlq list line: fields and a payload excerpt of at most 120 bytes", "[dlq][list]") {
  std::string payload(300, 'x');
  payload[5] = '\n';
  ListEntry e;
  e.seq = 42;
  e.time = "2026-11-25T08:40:00.000Z";
  e.reason = "invalid_json";
  e.delivery_count = "3";
  e.original_subject = "events.facebook.top";
  e.payload = payload;
  const std::string line = format_list_line(e);
  CHECK(line.rfind("42  2026-11-25T08:40:00.000Z  invalid_json  deliveries=3  events.facebook.top  xxxxx xxx", 0) == 0);
  CHECK(line.find('\n') == std::string::npos);
  const auto excerpt_start = line.find("xxxxx ");
  CHECK(line.size() - excerpt_start == 120 + std::strlen("…"));

  ListEntry shortp = e;
  shortp.payload = "{}";
  CHECK(format_list_line(shortp).substr(format_list_line(shortp).size() - 2) == "{}");
}

TEST_CASE("sanitize_line keeps UTF-8 sequences whole", "[dlq]") {
  CHECK(sanitize_line("a\tb\r\nc", 100) == "a b  c");
  CHECK(sanitize_line("\xC3\xBC\xC3\xBC", 3) == "\xC3\xBC");
  CHECK(sanitize_line("abc", 2) == "ab");
}

TEST_CASE("dead letter: payload, original headers, Eventhub headers, own msg id", "[dlq][record]") {
  REQUIRE(nats_Open(-1) == NATS_OK);  // cnats needs its library state even for local messages
  const std::string payload = R"({"eventId":"e1"})";
  eventhub::nats::Message original = eventhub::nats::Message::create(std::string("events.facebook.top"), payload);
  REQUIRE(original);
  original.set_header("Nats-Msg-Id", "e1");
  original.set_header("X-Trace", "abc");
  original.add_header("X-Multi", "1");
  original.add_header("X-Multi", "2");

  DeadLetterInfo info;
  info.reason = kReasonInvalidEvent;
  info.error = "eventType: not valid\nfor source";
  info.original_subject = "events.facebook.top";
  info.original_stream = "EVENTS";
  info.original_stream_seq = 17;
  info.delivery_count = 2;
  info.dead_lettered_at_ns = eventhub::common::to_unix_us(*eventhub::common::parse_rfc3339("2026-11-25T08:40:00Z")) * 1000;
  eventhub::nats::Message letter = make_dead_letter(original, "dlq.events", info);
  REQUIRE(letter);
  CHECK(std::string(letter.subject()) == "dlq.events.invalid_event");
  CHECK(std::string(letter.data()) == payload);
  CHECK(letter.header(kHeaderReason) == "invalid_event");
  CHECK(letter.header(kHeaderError) == "eventType: not valid for source");
  CHECK(letter.header(kHeaderOriginalSubject) == "events.facebook.top");
  CHECK(letter.header(kHeaderOriginalSeq) == "17");
  CHECK(letter.header(kHeaderOriginalMsgId) == "e1");
  CHECK(letter.header(kHeaderDeliveryCount) == "2");
  CHECK(letter.header(kHeaderDeadLetteredAt) == "2026-11-25T08:40:00.000Z");
  CHECK(letter.header("Nats-Msg-Id") == "dlq:EVENTS:17");
  CHECK(letter.header("X-Trace") == "abc");
  CHECK(letter.header_values("X-Multi").size() == 2);

  // Dead-lettering a replayed dead letter again does not stack stale Eventhub headers.
  info.reason = kReasonDbRejected;
  eventhub::nats::Message again = make_dead_letter(letter, "dlq.events", info);
  CHECK(again.header_values(kHeaderReason).size() == 1);
  CHECK(again.header(kHeaderReason) == "db_rejected");

  // Replay: back to the original subject with the plain headers, a fresh Nats-Msg-Id, no DLQ headers.
  eventhub::nats::Message replay = make_replay(letter, "EVENTS_DLQ", 5);
  REQUIRE(replay);
  CHECK(std::string(replay.subject()) == "events.facebook.top");
  CHECK(std::string(replay.data()) == payload);
  CHECK(replay.header("Nats-Msg-Id") == "e1:replay:5");
  CHECK(replay.header("X-Trace") == "abc");
  CHECK(replay.header("Eventhub-Replayed-From") == "EVENTS_DLQ:5");
  CHECK_FALSE(replay.header(kHeaderReason).has_value());
  CHECK_FALSE(replay.header(kHeaderOriginalSubject).has_value());
  CHECK_FALSE(make_replay(original, "EVENTS_DLQ", 5));  // not a dead letter: no original subject
}
