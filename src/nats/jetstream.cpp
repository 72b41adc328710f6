#include <eventhub/nats/jetstream.hpp>

#include "access.hpp"

namespace eventhub::nats {

using detail::Access;

Result<PubAck> publish_and_wait(Connection& connection, Message& message, const std::string& expect_stream,
                                std::chrono::milliseconds max_wait) {
  jsPubOptions po;
  jsPubOptions_Init(&po);
  po.MaxWait = max_wait.count();
  po.ExpectStream = expect_stream.c_str();
  jsPubAck* ack = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  const natsStatus s = js_PublishMsg(&ack, Access::js(connection), Access::msg(message), &po, &code);
  Result<PubAck> result;
  result.status = Status::capture(s, code);
  if (ack != nullptr) {
    if (s == NATS_OK) {
      result.value.sequence = ack->Sequence;
      result.value.duplicate = ack->Duplicate;
    }
    jsPubAck_Destroy(ack);
  }
  return result;
}

Result<StreamState> stream_state(Connection& connection, const std::string& stream) {
  jsStreamInfo* si = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  const natsStatus s = js_GetStreamInfo(&si, Access::js(connection), stream.c_str(), nullptr, &code);
  Result<StreamState> result;
  result.status = Status::capture(s, code);
  if (si != nullptr) {
    if (s == NATS_OK) {
      result.value.messages = si->State.Msgs;
      result.value.first_seq = si->State.FirstSeq;
      result.value.last_seq = si->State.LastSeq;
    }
    jsStreamInfo_Destroy(si);
  }
  return result;
}

Result<ConsumerState> consumer_state(Connection& connection, const std::string& stream, const std::string& consumer) {
  jsConsumerInfo* ci = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  const natsStatus s =
      js_GetConsumerInfo(&ci, Access::js(connection), stream.c_str(), consumer.c_str(), nullptr, &code);
  Result<ConsumerState> result;
  result.status = Status::capture(s, code);
  if (ci != nullptr) {
    if (s == NATS_OK) {
      result.value.num_pending = ci->NumPending;
      result.value.num_ack_pending = ci->NumAckPending;
    }
    jsConsumerInfo_Destroy(ci);
  }
  return result;
}

Result<Message> get_message(Connection& connection, const std::string& stream, uint64_t seq) {
  natsMsg* msg = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  const natsStatus s = js_GetMsg(&msg, Access::js(connection), stream.c_str(), seq, nullptr, &code);
  Result<Message> result;
  result.status = Status::capture(s, code);
  if (msg != nullptr) result.value = Access::adopt(msg);
  return result;
}

Status delete_message(Connection& connection, const std::string& stream, uint64_t seq) {
  jsErrCode code = static_cast<jsErrCode>(0);
  const natsStatus s = js_DeleteMsg(Access::js(connection), stream.c_str(), seq, nullptr, &code);
  return Status::capture(s, code);
}

}  // namespace eventhub::nats
