#include <eventhub/nats/status.hpp>

namespace eventhub::nats {

Status Status::capture(natsStatus status, jsErrCode js_code) {
  Status s;
  s.code_ = status;
  s.js_code_ = js_code;
  if (status != NATS_OK) {
    const char* last = nats_GetLastError(nullptr);
    if (last != nullptr) s.detail_ = last;
  }
  return s;
}

Status Status::with_detail(natsStatus status, jsErrCode js_code, std::string detail) {
  Status s;
  s.code_ = status;
  s.js_code_ = js_code;
  s.detail_ = std::move(detail);
  return s;
}

std::string Status::text() const {
  std::string text = natsStatus_GetText(code_);
  if (js_code_ != 0) text += " (jsErrCode " + std::to_string(static_cast<int>(js_code_)) + ")";
  // cnats' last error often repeats the status text: add it only when it says more.
  if (!detail_.empty() && text.find(detail_) == std::string::npos) {
    text += ": ";
    text += detail_;
  }
  return text;
}

std::string Status::describe(std::string_view what) const {
  std::string out(what);
  out += ": ";
  out += text();
  return out;
}

Error::Error(std::string_view what, Status status)
    : std::runtime_error(status.describe(what)), status_(std::move(status)) {}

std::string describe(std::string_view what, natsStatus status, jsErrCode js_code) {
  return Status::capture(status, js_code).describe(what);
}

void check(natsStatus status, std::string_view what, jsErrCode js_code) {
  if (status != NATS_OK) throw Error(what, Status::capture(status, js_code));
}

}  // namespace eventhub::nats
