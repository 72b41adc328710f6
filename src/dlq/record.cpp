#include <eventhub/dlq/record.hpp>

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <stdexcept>
#include <string>
#include <vector>

namespace eventhub::dlq {

namespace {
void ok_or_throw(natsStatus s, const char* what) {
  if (s != NATS_OK) throw std::runtime_error(std::string(what) + ": " + natsStatus_GetText(s));
}

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

std::optional<std::string> header(natsMsg* msg, const char* name) {
  const char* value = nullptr;
  if (natsMsgHeader_Get(msg, name, &value) != NATS_OK || value == nullptr) return std::nullopt;
  return std::string(value);
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
void copy_plain_headers(natsMsg* from, natsMsg* to) {
  const char** keys = nullptr;
  int key_count = 0;
  const natsStatus s = natsMsgHeader_Keys(from, &keys, &key_count);
  if (s == NATS_NOT_FOUND) return;
  ok_or_throw(s, "natsMsgHeader_Keys");
  for (int k = 0; k < key_count; ++k) {
    const std::string_view key = keys[k];
    if (starts_with_nocase(key, "Nats-") || is_eventhub_record_header(key)) continue;
    const char** values = nullptr;
    int value_count = 0;
    if (natsMsgHeader_Values(from, keys[k], &values, &value_count) == NATS_OK) {
      for (int v = 0; v < value_count; ++v) {
        const natsStatus added = natsMsgHeader_Add(to, keys[k], values[v]);
        if (added != NATS_OK) {
          free(static_cast<void*>(values));
          free(static_cast<void*>(keys));
          ok_or_throw(added, "natsMsgHeader_Add");
        }
      }
      free(static_cast<void*>(values));
    }
  }
  free(static_cast<void*>(keys));
}
}  // namespace

natsMsg* make_replay(natsMsg* letter, std::string_view dlq_stream, uint64_t dlq_seq) {
  const auto subject = header(letter, kHeaderOriginalSubject);
  if (!subject || subject->empty()) return nullptr;
  natsMsg* msg = nullptr;
  ok_or_throw(natsMsg_Create(&msg, subject->c_str(), nullptr, natsMsg_GetData(letter), natsMsg_GetDataLength(letter)),
              "natsMsg_Create");
  try {
    copy_plain_headers(letter, msg);
    const std::string id = replay_msg_id(header(letter, kHeaderOriginalMsgId), dlq_stream, dlq_seq);
    ok_or_throw(natsMsgHeader_Set(msg, "Nats-Msg-Id", id.c_str()), "header");
    const std::string from = std::string(dlq_stream) + ":" + std::to_string(dlq_seq);
    ok_or_throw(natsMsgHeader_Set(msg, "Eventhub-Replayed-From", from.c_str()), "header");
  } catch (...) {
    natsMsg_Destroy(msg);
    throw;
  }
  return msg;
}

natsMsg* make_dead_letter(natsMsg* original, std::string_view prefix, const DeadLetterInfo& info) {
  const std::string subject = dlq_subject(prefix, info.reason);
  natsMsg* msg = nullptr;
  ok_or_throw(natsMsg_Create(&msg, subject.c_str(), nullptr, natsMsg_GetData(original), natsMsg_GetDataLength(original)),
              "natsMsg_Create");
  try {
    copy_plain_headers(original, msg);
    if (auto id = header(original, "Nats-Msg-Id")) ok_or_throw(natsMsgHeader_Set(msg, kHeaderOriginalMsgId, id->c_str()), "header");
    const std::string error = sanitize_line(info.error, 1000);
    ok_or_throw(natsMsgHeader_Set(msg, kHeaderReason, info.reason.c_str()), "header");
    ok_or_throw(natsMsgHeader_Set(msg, kHeaderError, error.empty() ? "-" : error.c_str()), "header");
    ok_or_throw(natsMsgHeader_Set(msg, kHeaderOriginalSubject, info.original_subject.c_str()), "header");
    ok_or_throw(natsMsgHeader_Set(msg, kHeaderOriginalSeq, std::to_string(info.original_stream_seq).c_str()), "header");
    ok_or_throw(natsMsgHeader_Set(msg, kHeaderDeliveryCount, std::to_string(info.delivery_count).c_str()), "header");
    ok_or_throw(natsMsgHeader_Set(msg, kHeaderDeadLetteredAt, format_rfc3339(info.dead_lettered_at_ns).c_str()), "header");
    const std::string own_id = "dlq:" + info.original_stream + ":" + std::to_string(info.original_stream_seq);
    ok_or_throw(natsMsgHeader_Set(msg, "Nats-Msg-Id", own_id.c_str()), "header");
  } catch (...) {
    natsMsg_Destroy(msg);
    throw;
  }
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
