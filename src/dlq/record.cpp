#include <eventhub/dlq/record.hpp>

#include <eventhub/common/time.hpp>

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <stdexcept>
#include <string>
#include <vector>

namespace eventhub::dlq {

namespace {
bool starts_with_nocase(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    char a = text[i], b = prefix[i];
    if (a >= 'A' && a <= 'Z') a = static_cast<char>(a - 'A' + 'a');
    if (b >= 'A' && b <= 'Z') b = static_cast<char>(b - 'A' + 'a');
    if (a != b) return false;
  }
  return true;
}

// Length of the longest prefix of `text` of at most `max` bytes that does not cut a UTF-8 sequence.
std::size_t utf8_cut(std::string_view text, std::size_t max) {
  if (text.size() <= max) return text.size();
  std::size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80) --n;
  return n;
}

}  // namespace

std::string dlq_subject(std::string_view prefix, std::string_view reason) {
  std::string s(prefix);
  s += '.';
  s += reason;
  return s;
}

std::string sanitize_line(std::string_view text, std::size_t max) {
  std::string out(text.substr(0, utf8_cut(text, max)));
  for (char& c : out)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  return out;
}

namespace {
bool is_eventhub_record_header(std::string_view key) {
  return starts_with_nocase(key, "Eventhub-Dlq-") || starts_with_nocase(key, "Eventhub-Original-") ||
         starts_with_nocase(key, "Eventhub-Delivery-") || starts_with_nocase(key, "Eventhub-Dead-") ||
         starts_with_nocase(key, "Eventhub-Replayed-");
}

// Copies every header of `from` except Nats-* and our dead-letter bookkeeping.
void copy_plain_headers(const nats::Message& from, nats::Message& to) {
  for (const std::string& key : from.header_keys()) {
    if (starts_with_nocase(key, "Nats-") || is_eventhub_record_header(key)) continue;
    for (const std::string& value : from.header_values(key.c_str())) to.add_header(key.c_str(), value);
  }
}
}  // namespace

nats::Message make_replay(const nats::Message& letter, std::string_view dlq_stream, uint64_t dlq_seq) {
  const auto subject = letter.header(kHeaderOriginalSubject);
  if (!subject || subject->empty()) return {};
  nats::Message msg = nats::Message::create(*subject, letter.data());
  copy_plain_headers(letter, msg);
  msg.set_header("Nats-Msg-Id", replay_msg_id(letter.header(kHeaderOriginalMsgId), dlq_stream, dlq_seq));
  msg.set_header("Eventhub-Replayed-From", std::string(dlq_stream) + ":" + std::to_string(dlq_seq));
  return msg;
}

nats::Message make_dead_letter(const nats::Message& original, std::string_view prefix, const DeadLetterInfo& info) {
  nats::Message msg = nats::Message::create(dlq_subject(prefix, info.reason), original.data());
  copy_plain_headers(original, msg);
  if (auto id = original.header("Nats-Msg-Id")) msg.set_header(kHeaderOriginalMsgId, *id);
  const std::string error = sanitize_line(info.error, 1000);
  msg.set_header(kHeaderReason, info.reason);
  msg.set_header(kHeaderError, error.empty() ? "-" : error);
  msg.set_header(kHeaderOriginalSubject, info.original_subject);
  msg.set_header(kHeaderOriginalSeq, std::to_string(info.original_stream_seq));
  msg.set_header(kHeaderDeliveryCount, std::to_string(info.delivery_count));
  msg.set_header(kHeaderDeadLetteredAt, common::format_rfc3339(common::from_unix_us(info.dead_lettered_at_ns / 1000),
                                                                  common::FractionDigits::millis));
  msg.set_header("Nats-Msg-Id", "dlq:" + info.original_stream + ":" + std::to_string(info.original_stream_seq));
  return msg;
}


std::string replay_msg_id(const std::optional<std::string>& original_msg_id, std::string_view dlq_stream,
                          uint64_t dlq_seq) {
  if (original_msg_id && !original_msg_id->empty()) return *original_msg_id + ":replay:" + std::to_string(dlq_seq);
  return "replay:" + std::string(dlq_stream) + ":" + std::to_string(dlq_seq);
}

ListEntry list_entry(uint64_t seq, const nats::Message& letter) {
  ListEntry e;
  e.seq = seq;
  e.time = letter.header(kHeaderDeadLetteredAt).value_or("");
  e.reason = letter.header(kHeaderReason).value_or("");
  e.delivery_count = letter.header(kHeaderDeliveryCount).value_or("");
  e.original_subject = letter.header(kHeaderOriginalSubject).value_or("");
  e.payload = letter.data();
  e.error = letter.header(kHeaderError).value_or("");
  return e;
}

std::string format_list_line(const ListEntry& e) {
  constexpr std::size_t kExcerpt = 120;
  std::string excerpt = sanitize_line(e.payload, kExcerpt);
  if (excerpt.size() < e.payload.size()) excerpt += "…";
  std::string line = std::to_string(e.seq);
  line += "  " + (e.time.empty() ? std::string("-") : e.time);
  line += "  " + (e.reason.empty() ? std::string("-") : e.reason);
  line += "  deliveries=" + (e.delivery_count.empty() ? std::string("-") : e.delivery_count);
  line += "  " + (e.original_subject.empty() ? std::string("-") : e.original_subject);
  line += "  " + excerpt;
  if (!e.error.empty()) line += "  error=\"" + sanitize_line(e.error, 200) + "\"";
  return line;
}

}  // namespace eventhub::dlq
