#pragma once
// The outcome of a cnats call, and the one place a cnats failure is turned into text. Everything in
// eventhub::nats reports failures on the data path as a Status (no exceptions across cnats
// callbacks or per message); setup calls throw Error, which carries the same Status.

#include <nats/nats.h>

#include <stdexcept>
#include <string>
#include <string_view>

namespace eventhub::nats {

class Status {
 public:
  Status() = default;  // OK

  // `status` with the JetStream error code, and cnats' last error text of this thread (read now:
  // it is thread-local and overwritten by the next failing call).
  static Status capture(natsStatus status, jsErrCode js_code = static_cast<jsErrCode>(0));
  // `status` with a detail text the caller has (a PubAck error, a header name, …).
  static Status with_detail(natsStatus status, jsErrCode js_code, std::string detail);

  bool ok() const { return code_ == NATS_OK; }
  explicit operator bool() const { return ok(); }
  natsStatus code() const { return code_; }
  jsErrCode js_code() const { return js_code_; }
  const std::string& detail() const { return detail_; }

  // What the failure means, so callers outside nats/ never compare cnats codes themselves.
  bool timed_out() const { return code_ == NATS_TIMEOUT; }
  bool not_found() const { return code_ == NATS_NOT_FOUND; }
  bool connection_closed() const { return code_ == NATS_CONNECTION_CLOSED; }
  bool no_responders() const { return code_ == NATS_NO_RESPONDERS; }
  bool invalid_subscription() const { return code_ == NATS_INVALID_SUBSCRIPTION; }
  bool stream_missing() const { return js_code_ == JSStreamNotFoundErr; }
  bool consumer_missing() const { return js_code_ == JSConsumerNotFoundErr; }
  bool message_missing() const { return js_code_ == JSNoMessageFoundErr; }

  // "<status text> (jsErrCode N): <detail>"; "OK" when ok.
  std::string text() const;
  // "<what>: <text()>" — the format of every logged or printed cnats failure.
  std::string describe(std::string_view what) const;

 private:
  natsStatus code_ = NATS_OK;
  jsErrCode js_code_ = static_cast<jsErrCode>(0);
  std::string detail_;
};

// A failed cnats call during setup (connect, provisioning, building a message).
class Error : public std::runtime_error {
 public:
  Error(std::string_view what, Status status);
  const Status& status() const { return status_; }
  natsStatus code() const { return status_.code(); }
  jsErrCode js_code() const { return status_.js_code(); }

 private:
  Status status_;
};

// A value, or the Status saying why there is none (`value` is default-constructed then).
template <typename T>
struct Result {
  Status status;
  T value{};
  bool ok() const { return status.ok(); }
};

// Status::capture(status, js_code).describe(what).
std::string describe(std::string_view what, natsStatus status, jsErrCode js_code = static_cast<jsErrCode>(0));
// Throws Error unless status is NATS_OK.
void check(natsStatus status, std::string_view what, jsErrCode js_code = static_cast<jsErrCode>(0));

}  // namespace eventhub::nats
