#include <eventhub/nats/async_publisher.hpp>

#include "access.hpp"

#include <algorithm>

namespace eventhub::nats {

using detail::Access;

AsyncPublisher::AsyncPublisher(Connection& connection, const Options& options, AckHandler on_ack)
    : on_ack_(std::move(on_ack)) {
  jsOptions js_options;
  detail::default_js_options(js_options);
  js_options.PublishAsync.AckHandler = &AsyncPublisher::handle_ack;
  js_options.PublishAsync.AckHandlerClosure = this;
  js_options.PublishAsync.MaxPending = options.max_pending;
  js_options.PublishAsync.StallWait = options.stall_wait.count();
  check(natsConnection_JetStream(&js_, Access::conn(connection), &js_options), "JetStream context for publishing");
}

AsyncPublisher::~AsyncPublisher() {
  if (js_ != nullptr) jsCtx_Destroy(js_);
}

Status AsyncPublisher::publish(Message&& message, const char* msg_id, std::chrono::milliseconds max_wait) {
  jsPubOptions options;
  jsPubOptions_Init(&options);
  options.MaxWait = max_wait.count();
  options.MsgId = msg_id;
  published_.store(true, std::memory_order_relaxed);
  natsMsg* raw = Access::release(message);
  const natsStatus s = js_PublishMsgAsync(js_, &raw, &options);
  // cnats cleared `raw` when it took the message over; otherwise it is still ours.
  Status status = Status::capture(s);
  if (raw != nullptr) natsMsg_Destroy(raw);
  return status;
}

void AsyncPublisher::handle_ack(jsCtx*, natsMsg* msg, jsPubAck* pa, jsPubAckErr* pae, void* self) {
  struct Destroy {
    natsMsg* m;
    ~Destroy() { natsMsg_Destroy(m); }
  } destroy{msg};
  AsyncAck ack;
  ack.key = reinterpret_cast<MessageKey>(msg);
  if (const char* subject = natsMsg_GetSubject(msg)) ack.subject = subject;
  if (pa != nullptr && pae == nullptr) {
    ack.duplicate = pa->Duplicate;
  } else {
    // A cnats thread: its last-error text is not about this message; the PubAck error text is.
    ack.status = Status::with_detail(pae != nullptr ? pae->Err : NATS_ERR,
                                     pae != nullptr ? pae->ErrCode : static_cast<jsErrCode>(0),
                                     pae != nullptr && pae->ErrText != nullptr ? pae->ErrText : "");
  }
  static_cast<AsyncPublisher*>(self)->on_ack_(ack);
}

Status AsyncPublisher::complete(std::chrono::milliseconds max_wait) {
  jsPubOptions options;
  jsPubOptions_Init(&options);
  options.MaxWait = std::max<int64_t>(max_wait.count(), 1);
  return Status::capture(js_PublishAsyncComplete(js_, &options));
}

std::vector<MessageKey> AsyncPublisher::abandon_pending() {
  std::vector<MessageKey> keys;
  // cnats 3.4 crashes in js_PublishAsyncGetPendingList on a context that never published
  // asynchronously, so only ask after a publish.
  if (!published_.load()) return keys;
  natsMsgList pending{};
  if (js_PublishAsyncGetPendingList(&pending, js_) == NATS_OK) {
    keys.reserve(static_cast<std::size_t>(pending.Count));
    for (int i = 0; i < pending.Count; ++i) keys.push_back(reinterpret_cast<MessageKey>(pending.Msgs[i]));
    natsMsgList_Destroy(&pending);
  }
  return keys;
}

}  // namespace eventhub::nats
