#pragma once
// One NATS message, owned (RAII over natsMsg*): a message to publish, one fetched from a pull
// subscription, or one read from a stream by sequence. Its acknowledgements return a Status instead
// of failing silently; what a caller does with a failed ack (count, log) is the caller's business.
// Not thread-safe: one thread works with a message at a time (cnats' own rule).

#include <eventhub/nats/status.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace eventhub::nats {

namespace detail {
struct Access;
}

// JetStream metadata of a delivered message (from its reply subject).
struct MessageMeta {
  uint64_t delivered = 1;    // NumDelivered: 1 on the first delivery
  uint64_t stream_seq = 0;   // sequence in the stream
  int64_t timestamp_ns = 0;  // when the stream stored it, nanoseconds since the epoch
};

// Identity of a published message until its asynchronous PubAck arrives (AsyncPublisher).
using MessageKey = std::uintptr_t;

class Message {
 public:
  Message() = default;
  ~Message();
  Message(Message&& other) noexcept : msg_(other.msg_) { other.msg_ = nullptr; }
  Message& operator=(Message&& other) noexcept;
  Message(const Message&) = delete;
  Message& operator=(const Message&) = delete;

  // A new message to publish, payload copied. Data-path form: an empty Message and `status` set
  // when cnats refuses. `subject` must stay NUL-terminated for the call.
  static Message create(const char* subject, std::string_view data, Status& status);
  // The same for setup code: throws Error.
  static Message create(const std::string& subject, std::string_view data);

  explicit operator bool() const { return msg_ != nullptr; }
  MessageKey key() const { return reinterpret_cast<MessageKey>(msg_); }

  std::string_view subject() const;
  std::string_view data() const;
  // Time the server stored a message read by sequence (stream get), nanoseconds since the epoch.
  int64_t time_ns() const;
  // JetStream metadata of a message delivered by a consumer; nullopt for any other message.
  std::optional<MessageMeta> meta() const;

  // First value of a header, or nullopt.
  std::optional<std::string> header(const char* name) const;
  // Every value of a header, in order (empty when absent).
  std::vector<std::string> header_values(const char* name) const;
  // Header names, in order (empty when there are none). Throws Error on a cnats failure.
  std::vector<std::string> header_keys() const;
  // Replace / append a header value. Throw Error.
  void set_header(const char* name, const std::string& value);
  void add_header(const char* name, const std::string& value);

  // Acknowledgements of a message delivered by a JetStream consumer (plain, not awaited: a lost
  // ack only causes a redelivery). in_progress resets the ack timer and does not count as a delivery.
  Status ack();
  Status nak();
  Status nak_with_delay(std::chrono::milliseconds delay);
  Status term();
  Status in_progress();

 private:
  friend struct detail::Access;
  explicit Message(natsMsg* msg) : msg_(msg) {}
  natsMsg* msg_ = nullptr;
};

}  // namespace eventhub::nats
