#include "dead_letter_sink.hpp"

#include <eventhub/common/log.hpp>
#include <eventhub/dlq/record.hpp>
#include <eventhub/nats/jetstream.hpp>

namespace eventhub::worker {

void DeadLetterSink::dead_letter(Item& item, const char* reason, const std::string& error) {
  metrics_.failed(reason).Increment();
  dlq::DeadLetterInfo info;
  info.reason = reason;
  info.error = error;
  info.original_subject = item.msg.subject();
  info.original_stream = config_.nats.stream;
  info.original_stream_seq = item.meta.stream_seq;
  info.delivery_count = item.meta.delivered;
  info.dead_lettered_at_ns = unix_now_ns();
  std::string failure;
  try {
    nats::Message letter = dlq::make_dead_letter(item.msg, config_.nats.dlq_subject_prefix, info);
    const nats::Status published = nats::publish_and_wait(connection_, letter, config_.nats.dlq_stream).status;
    if (!published.ok()) failure = published.describe("publish dead letter");
  } catch (const std::exception& e) {
    log::error("worker: cannot build a dead letter", "error", e.what());
    failure = std::string("build dead letter: ") + e.what();
  }
  if (failure.empty()) {
    settler_.term(item);
    metrics_.dead_lettered(reason).Increment();
    log::warn("worker: message dead-lettered", "reason", reason, "stream_seq", item.meta.stream_seq, "deliveries",
              item.meta.delivered, "error", dlq::sanitize_line(error, 300));
  } else {
    metrics_.failed(kFailDlqUnavailable).Increment();
    log::error("worker: dead-letter publish failed; message NAKed for a later attempt", "reason", reason,
               "stream_seq", item.meta.stream_seq, "error", failure);
    settler_.nak_with_delay(item, config_.db_retry_delay);
  }
}

}  // namespace eventhub::worker
