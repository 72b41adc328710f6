#include <eventhub/nats/message.hpp>

#include "access.hpp"

#include <cstdlib>

namespace eventhub::nats {

Message::~Message() {
  if (msg_ != nullptr) natsMsg_Destroy(msg_);
}

Message& Message::operator=(Message&& other) noexcept {
  if (this != &other) {
    if (msg_ != nullptr) natsMsg_Destroy(msg_);
    msg_ = other.msg_;
    other.msg_ = nullptr;
  }
  return *this;
}

Message Message::create(const char* subject, std::string_view data, Status& status) {
  natsMsg* msg = nullptr;
  const natsStatus s = natsMsg_Create(&msg, subject, nullptr, data.data(), static_cast<int>(data.size()));
  if (s != NATS_OK) {
    status = Status::capture(s);
    natsMsg_Destroy(msg);
    return Message();
  }
  status = Status();
  return Message(msg);
}

Message Message::create(const std::string& subject, std::string_view data) {
  Status status;
  Message m = create(subject.c_str(), data, status);
  if (!status.ok()) throw Error("natsMsg_Create", status);
  return m;
}

std::string_view Message::subject() const {
  const char* s = msg_ != nullptr ? natsMsg_GetSubject(msg_) : nullptr;
  return s != nullptr ? std::string_view(s) : std::string_view();
}

std::string_view Message::data() const {
  if (msg_ == nullptr) return {};
  return std::string_view(natsMsg_GetData(msg_), static_cast<std::size_t>(natsMsg_GetDataLength(msg_)));
}

int64_t Message::time_ns() const { return msg_ != nullptr ? natsMsg_GetTime(msg_) : 0; }

std::optional<MessageMeta> Message::meta() const {
  jsMsgMetaData* raw = nullptr;
  if (msg_ == nullptr || natsMsg_GetMetaData(&raw, msg_) != NATS_OK) return std::nullopt;
  MessageMeta meta;
  meta.delivered = raw->NumDelivered;
  meta.stream_seq = raw->Sequence.Stream;
  meta.timestamp_ns = raw->Timestamp;
  jsMsgMetaData_Destroy(raw);
  return meta;
}

std::optional<std::string> Message::header(const char* name) const {
  const char* value = nullptr;
  if (msg_ == nullptr || natsMsgHeader_Get(msg_, name, &value) != NATS_OK || value == nullptr) return std::nullopt;
  return std::string(value);
}

std::vector<std::string> Message::header_values(const char* name) const {
  std::vector<std::string> out;
  const char** values = nullptr;
  int count = 0;
  if (msg_ == nullptr || natsMsgHeader_Values(msg_, name, &values, &count) != NATS_OK) return out;
  out.reserve(static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) out.emplace_back(values[i]);
  free(static_cast<void*>(values));
  return out;
}

std::vector<std::string> Message::header_keys() const {
  std::vector<std::string> out;
  const char** keys = nullptr;
  int count = 0;
  const natsStatus s = msg_ != nullptr ? natsMsgHeader_Keys(msg_, &keys, &count) : NATS_NOT_FOUND;
  if (s == NATS_NOT_FOUND) return out;
  check(s, "natsMsgHeader_Keys");
  out.reserve(static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) out.emplace_back(keys[i]);
  free(static_cast<void*>(keys));
  return out;
}

void Message::set_header(const char* name, const std::string& value) {
  check(natsMsgHeader_Set(msg_, name, value.c_str()), std::string("set header ") + name);
}

void Message::add_header(const char* name, const std::string& value) {
  check(natsMsgHeader_Add(msg_, name, value.c_str()), std::string("add header ") + name);
}

Status Message::ack() { return Status::capture(natsMsg_Ack(msg_, nullptr)); }
Status Message::nak() { return Status::capture(natsMsg_Nak(msg_, nullptr)); }
Status Message::nak_with_delay(std::chrono::milliseconds delay) {
  return Status::capture(natsMsg_NakWithDelay(msg_, delay.count(), nullptr));
}
Status Message::term() { return Status::capture(natsMsg_Term(msg_, nullptr)); }
Status Message::in_progress() { return Status::capture(natsMsg_InProgress(msg_, nullptr)); }

}  // namespace eventhub::nats
