// Dead-letter record format: headers, time formatting/parsing, replay ids, list lines.
#include <eventhub/dlq/record.hpp>

#include <catch2/catch.hpp>

#include <cstring>
#include <string>

using namespace eventhub::dlq;

TEST_CASE("RFC 3339 parse and format", "[dlq][time]") {
  CHECK(parse_rfc3339("1970-01-01T00:00:00Z") == int64_t{0});
  CHECK(parse_rfc3339("1970-01-01T00:00:01.5Z") == int64_t{1'500'000'000});
  CHECK(parse_rfc3339("2026-11-25T08:40:00+01:00") == parse_rfc3339("2026-11-25T07:40:00Z"));
  CHECK(parse_rfc3339("2026-11-25T08:40:00-00:30") == parse_rfc3339("2026-11-25T09:10:00Z"));
  CHECK(parse_rfc3339("2024-02-29T00:00:00Z").has_value());
  CHECK_FALSE(parse_rfc3339("2023-02-29T00:00:00Z").has_value());
  CHECK_FALSE(parse_rfc3339("2026-11-25").has_value());
  CHECK_FALSE(parse_rfc3339("2026-11-25T08:40:00").has_value());  // offset required
  CHECK_FALSE(parse_rfc3339("2026-13-01T00:00:00Z").has_value());
  CHECK_FALSE(parse_rfc3339("2026-11-25T08:40:00Zjunk").has_value());
  CHECK_FALSE(parse_rfc3339("").has_value());

  const int64_t t = *parse_rfc3339("2026-11-25T08:40:00.123Z");
  CHECK(format_rfc3339(t) == "2026-11-25T08:40:00.123Z");
  CHECK(format_rfc3339(0) == "1970-01-01T00:00:00.000Z");
  CHECK(parse_rfc3339(format_rfc3339(t)) == t);
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
  natsMsg* original = nullptr;
  const std::string payload = R"({"eventId":"e1"})";
  REQUIRE(natsMsg_Create(&original, "events.facebook.top", nullptr, payload.data(), static_cast<int>(payload.size())) ==
          NATS_OK);
  REQUIRE(natsMsgHeader_Set(original, "Nats-Msg-Id", "e1") == NATS_OK);
  REQUIRE(natsMsgHeader_Set(original, "X-Trace", "abc") == NATS_OK);
  REQUIRE(natsMsgHeader_Add(original, "X-Multi", "1") == NATS_OK);
  REQUIRE(natsMsgHeader_Add(original, "X-Multi", "2") == NATS_OK);

  DeadLetterInfo info;
  info.reason = kReasonInvalidEvent;
  info.error = "eventType: not valid\nfor source";
  info.original_subject = "events.facebook.top";
  info.original_stream = "EVENTS";
  info.original_stream_seq = 17;
  info.delivery_count = 2;
  info.dead_lettered_at_ns = *parse_rfc3339("2026-11-25T08:40:00Z");
  natsMsg* letter = make_dead_letter(original, "dlq.events", info);
  REQUIRE(letter != nullptr);
  CHECK(std::string(natsMsg_GetSubject(letter)) == "dlq.events.invalid_event");
  CHECK(std::string(natsMsg_GetData(letter), natsMsg_GetDataLength(letter)) == payload);
  CHECK(header(letter, kHeaderReason) == "invalid_event");
  CHECK(header(letter, kHeaderError) == "eventType: not valid for source");
  CHECK(header(letter, kHeaderOriginalSubject) == "events.facebook.top");
  CHECK(header(letter, kHeaderOriginalSeq) == "17");
  CHECK(header(letter, kHeaderOriginalMsgId) == "e1");
  CHECK(header(letter, kHeaderDeliveryCount) == "2");
  CHECK(header(letter, kHeaderDeadLetteredAt) == "2026-11-25T08:40:00.000Z");
  CHECK(header(letter, "Nats-Msg-Id") == "dlq:EVENTS:17");
  CHECK(header(letter, "X-Trace") == "abc");
  const char** values = nullptr;
  int count = 0;
  REQUIRE(natsMsgHeader_Values(letter, "X-Multi", &values, &count) == NATS_OK);
  CHECK(count == 2);
  free(static_cast<void*>(values));

  // Dead-lettering a replayed dead letter again does not stack stale Eventhub headers.
  info.reason = kReasonDbRejected;
  natsMsg* again = make_dead_letter(letter, "dlq.events", info);
  REQUIRE(natsMsgHeader_Values(again, kHeaderReason, &values, &count) == NATS_OK);
  CHECK(count == 1);
  free(static_cast<void*>(values));
  CHECK(header(again, kHeaderReason) == "db_rejected");

  // Replay: back to the original subject with the plain headers, a fresh Nats-Msg-Id, no DLQ headers.
  natsMsg* replay = make_replay(letter, "EVENTS_DLQ", 5);
  REQUIRE(replay != nullptr);
  CHECK(std::string(natsMsg_GetSubject(replay)) == "events.facebook.top");
  CHECK(std::string(natsMsg_GetData(replay), natsMsg_GetDataLength(replay)) == payload);
  CHECK(header(replay, "Nats-Msg-Id") == "e1:replay:5");
  CHECK(header(replay, "X-Trace") == "abc");
  CHECK(header(replay, "Eventhub-Replayed-From") == "EVENTS_DLQ:5");
  CHECK_FALSE(header(replay, kHeaderReason).has_value());
  CHECK_FALSE(header(replay, kHeaderOriginalSubject).has_value());
  natsMsg_Destroy(replay);
  CHECK(make_replay(original, "EVENTS_DLQ", 5) == nullptr);  // not a dead letter: no original subject
  natsMsg_Destroy(again);
  natsMsg_Destroy(letter);
  natsMsg_Destroy(original);
}
