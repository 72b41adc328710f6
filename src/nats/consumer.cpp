#include <eventhub/nats/consumer.hpp>

#include <eventhub/common/log.hpp>

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

natsSubscription* bind_pull_subscription(jsCtx* js, const common::NatsConfig& config) {
  const std::string filter = config.subject_prefix + ".>";
  jsSubOptions so;
  jsSubOptions_Init(&so);
  so.Stream = config.stream.c_str();
  so.Consumer = config.consumer.c_str();
  natsSubscription* sub = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  const natsStatus s = js_PullSubscribe(&sub, js, filter.c_str(), config.consumer.c_str(), nullptr, &so, &code);
  check(s, "pull subscribe to consumer " + config.consumer, code);
  return sub;
}

}  // namespace eventhub::nats
