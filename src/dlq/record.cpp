#include <eventhub/dlq/record.hpp>

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

int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
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
  msg.set_header(kHeaderDeadLetteredAt, format_rfc3339(info.dead_lettered_at_ns));
  msg.set_header("Nats-Msg-Id", "dlq:" + info.original_stream + ":" + std::to_string(info.original_stream_seq));
  return msg;
}

std::string format_rfc3339(int64_t unix_ns) {
  int64_t secs = unix_ns / 1'000'000'000;
  int64_t rem = unix_ns % 1'000'000'000;
  if (rem < 0) {
    rem += 1'000'000'000;
    --secs;
  }
  const std::time_t t = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(rem / 1'000'000));
  return buf;
}

std::optional<int64_t> parse_rfc3339(std::string_view s) {
  auto digits = [&](std::size_t pos, std::size_t n, int& out) {
    if (pos + n > s.size()) return false;
    out = 0;
    for (std::size_t i = pos; i < pos + n; ++i) {
      if (s[i] < '0' || s[i] > '9') return false;
      out = out * 10 + (s[i] - '0');
    }
    return true;
  };
  int year, month, day, hour, minute, second;
  if (!digits(0, 4, year) || s.size() < 20 || s[4] != '-' || !digits(5, 2, month) || s[7] != '-' ||
      !digits(8, 2, day) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || !digits(11, 2, hour) || s[13] != ':' ||
      !digits(14, 2, minute) || s[16] != ':' || !digits(17, 2, second))
    return std::nullopt;
  static constexpr int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month < 1 || month > 12 || day < 1 || day > kDays[month - 1] || hour > 23 || minute > 59 || second > 60)
    return std::nullopt;
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  if (month == 2 && day == 29 && !leap) return std::nullopt;
  std::size_t pos = 19;
  int64_t frac_ns = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    const std::size_t start = pos;
    int64_t scale = 100'000'000;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      frac_ns += (s[pos] - '0') * scale;
      scale /= 10;
      ++pos;
    }
    if (pos == start) return std::nullopt;
  }
  if (pos >= s.size()) return std::nullopt;
  int64_t offset_s = 0;
  if (s[pos] == 'Z' || s[pos] == 'z') {
    ++pos;
  } else if (s[pos] == '+' || s[pos] == '-') {
    int oh, om;
    if (!digits(pos + 1, 2, oh) || pos + 3 >= s.size() || s[pos + 3] != ':' || !digits(pos + 4, 2, om) || oh > 23 ||
        om > 59)
      return std::nullopt;
    offset_s = (oh * 3600 + om * 60) * (s[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;
  const int64_t days = days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  const int64_t secs = days * 86400 + hour * 3600 + minute * 60 + std::min(second, 59) - offset_s;
  return secs * 1'000'000'000 + frac_ns;
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
