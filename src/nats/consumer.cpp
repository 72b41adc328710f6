#include <eventhub/nats/consumer.hpp>

#include <eventhub/common/log.hpp>

#include "access.hpp"

#include <string>

namespace eventhub::nats {

void ensure_pull_consumer(jsCtx* js, const common::NatsConfig& config, const PullConsumerSettings& settings) {
  const std::string filter = config.subject_prefix + ".>";
  jsConsumerConfig cc;
  jsConsumerConfig_Init(&cc);
  cc.Durable = config.consumer.c_str();
  cc.Description = "eventhub worker: events -> PostgreSQL";
  cc.DeliverPolicy = js_DeliverAll;
  cc.AckPolicy = js_AckExplicit;
  cc.AckWait = std::chrono::duration_cast<std::chrono::nanoseconds>(settings.ack_wait).count();
  cc.MaxDeliver = settings.max_deliver;
  cc.MaxAckPending = settings.max_ack_pending;
  cc.FilterSubject = filter.c_str();
  cc.MaxRequestBatch = settings.max_request_batch;

  jsErrCode code = static_cast<jsErrCode>(0);
  jsConsumerInfo* info = nullptr;
  natsStatus s = js_GetConsumerInfo(&info, js, config.stream.c_str(), config.consumer.c_str(), nullptr, &code);
  if (s == NATS_OK) {
    jsConsumerInfo_Destroy(info);
    info = nullptr;
    code = static_cast<jsErrCode>(0);
    s = js_UpdateConsumer(&info, js, config.stream.c_str(), &cc, nullptr, &code);
    if (s != NATS_OK) {
      // Some settings cannot change on a live consumer; keep the existing one rather than failing.
      log::warn("JetStream consumer exists; could not update its settings", "consumer", config.consumer, "error",
                describe("update consumer", s, code));
      return;
    }
    log::info("JetStream consumer updated", "stream", config.stream, "consumer", config.consumer);
  } else if (code == JSConsumerNotFoundErr || s == NATS_NOT_FOUND) {
    code = static_cast<jsErrCode>(0);
    s = js_AddConsumer(&info, js, config.stream.c_str(), &cc, nullptr, &code);
    // Another worker replica may have created it between our two calls.
    if (s != NATS_OK && code != JSConsumerNameExistErr && code != JSConsumerExistingActiveErr)
      check(s, "create consumer " + config.consumer, code);
    if (s == NATS_OK) log::info("JetStream consumer created", "stream", config.stream, "consumer", config.consumer);
  } else {
    check(s, "consumer info " + config.consumer, code);
  }
  if (info) jsConsumerInfo_Destroy(info);
}

namespace {
natsSubscription* subscribe(jsCtx* js, const common::NatsConfig& config, Status& status) {
  const std::string filter = config.subject_prefix + ".>";
  jsSubOptions so;
  jsSubOptions_Init(&so);
  so.Stream = config.stream.c_str();
  so.Consumer = config.consumer.c_str();
  natsSubscription* sub = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  const natsStatus s = js_PullSubscribe(&sub, js, filter.c_str(), config.consumer.c_str(), nullptr, &so, &code);
  status = Status::capture(s, code);
  return s == NATS_OK ? sub : nullptr;
}
}  // namespace

natsSubscription* bind_pull_subscription(jsCtx* js, const common::NatsConfig& config) {
  Status status;
  natsSubscription* sub = subscribe(js, config, status);
  if (!status.ok()) throw Error("pull subscribe to consumer " + config.consumer, status);
  return sub;
}

void ensure_pull_consumer(Connection& connection, const common::NatsConfig& config,
                          const PullConsumerSettings& settings) {
  ensure_pull_consumer(detail::Access::js(connection), config, settings);
}

PullSubscription::PullSubscription(Connection& connection, const common::NatsConfig& config)
    : connection_(connection), config_(config) {}

PullSubscription::~PullSubscription() { unbind(); }

Status PullSubscription::bind() {
  unbind();
  Status status;
  sub_ = subscribe(detail::Access::js(connection_), config_, status);
  return status;
}

void PullSubscription::unbind() {
  if (sub_ != nullptr) {
    natsSubscription_Destroy(sub_);  // not Unsubscribe: that would delete nothing for a bound durable, but be safe
    sub_ = nullptr;
  }
}

PullSubscription::Batch PullSubscription::fetch(int max, std::chrono::milliseconds timeout) {
  Batch batch;
  natsMsgList list{};
  jsErrCode code = static_cast<jsErrCode>(0);
  const natsStatus s = natsSubscription_Fetch(&list, sub_, max, timeout.count(), &code);
  if (s == NATS_OK) {
    batch.messages.reserve(static_cast<std::size_t>(list.Count));
    for (int i = 0; i < list.Count; ++i) {
      batch.messages.push_back(detail::Access::adopt(list.Msgs[i]));
      list.Msgs[i] = nullptr;
    }
  } else if (s != NATS_TIMEOUT) {
    batch.status = Status::capture(s, code);
  }
  natsMsgList_Destroy(&list);
  return batch;
}

}  // namespace eventhub::nats
