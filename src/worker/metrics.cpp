#include "metrics.hpp"

#include <eventhub/dlq/record.hpp>

namespace eventhub::worker {

const char* ack_op_name(AckOp op) {
  switch (op) {
    case AckOp::ack: return "ack";
    case AckOp::nak: return "nak";
    case AckOp::term: return "term";
    case AckOp::in_progress: return "in_progress";
  }
  return "?";
}

Metrics::Metrics(prometheus::Registry& r)
    : received(prometheus::BuildCounter()
                   .Name("eventhub_worker_messages_received_total")
                   .Help("Messages fetched from the event stream")
                   .Register(r)
                   .Add({})),
      persisted(prometheus::BuildCounter()
                    .Name("eventhub_worker_messages_persisted_total")
                    .Help("Messages whose event was inserted (new row), acked after COMMIT")
                    .Register(r)
                    .Add({})),
      duplicate(prometheus::BuildCounter()
                    .Name("eventhub_worker_messages_duplicate_total")
                    .Help("Messages whose eventId was already stored (or repeated in the batch), acked")
                    .Register(r)
                    .Add({})),
      failed_family(prometheus::BuildCounter()
                        .Name("eventhub_worker_messages_failed_total")
                        .Help("Messages that could not be stored at an attempt, by reason")
                        .Register(r)),
      dead_family(prometheus::BuildCounter()
                      .Name("eventhub_worker_messages_dead_lettered_total")
                      .Help("Messages published to the dead-letter stream and terminated, by reason")
                      .Register(r)),
      ack_failures_family(prometheus::BuildCounter()
                              .Name("eventhub_worker_ack_failures_total")
                              .Help("Acknowledgements cnats refused to send, by op (ack, nak, term, "
                                    "in_progress); the server redelivers the message after the ack wait")
                              .Register(r)),
      batch_duration(prometheus::BuildHistogram()
                         .Name("eventhub_worker_batch_duration_seconds")
                         .Help("Fetched batch to last ack: validation, transaction(s), acks")
                         .Register(r)
                         .Add({}, prometheus::Histogram::BucketBoundaries{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                                                                           1, 2.5, 5, 10, 30, 60})),
      batch_size(prometheus::BuildHistogram()
                     .Name("eventhub_worker_batch_size")
                     .Help("Messages per fetched batch")
                     .Register(r)
                     .Add({}, prometheus::Histogram::BucketBoundaries{1, 10, 50, 100, 250, 500, 1000, 2500, 5000,
                                                                       10000})),
      inflight(prometheus::BuildGauge()
                   .Name("eventhub_worker_inflight_messages")
                   .Help("Messages fetched and not yet acked, terminated or NAKed")
                   .Register(r)
                   .Add({})),
      pending(prometheus::BuildGauge()
                  .Name("eventhub_worker_consumer_pending")
                  .Help("Messages in the stream not yet delivered to the consumer (consumer info NumPending)")
                  .Register(r)
                  .Add({})),
      ack_pending(prometheus::BuildGauge()
                      .Name("eventhub_worker_consumer_ack_pending")
                      .Help("Messages delivered and not yet acked (consumer info NumAckPending)")
                      .Register(r)
                      .Add({})),
      lag(prometheus::BuildHistogram()
              .Name("eventhub_worker_end_to_end_lag_seconds")
              .Help("NATS publish time to COMMIT of the event's row")
              .Register(r)
              .Add({}, prometheus::Histogram::BucketBoundaries{0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
                                                                300, 900, 3600})),
      dlq_messages(prometheus::BuildGauge()
                       .Name("eventhub_dlq_messages")
                       .Help("Messages in the dead-letter stream")
                       .Register(r)
                       .Add({})) {
  for (const char* reason : {dlq::kReasonInvalidJson, dlq::kReasonInvalidEvent, dlq::kReasonDbRejected,
                             dlq::kReasonMaxDeliveries, kFailDbUnavailable, kFailDlqUnavailable})
    failed_family.Add({{"reason", reason}});
  for (const char* reason :
       {dlq::kReasonInvalidJson, dlq::kReasonInvalidEvent, dlq::kReasonDbRejected, dlq::kReasonMaxDeliveries})
    dead_family.Add({{"reason", reason}});
  for (AckOp op : {AckOp::ack, AckOp::nak, AckOp::term, AckOp::in_progress})
    ack_failures[static_cast<std::size_t>(op)] = &ack_failures_family.Add({{"op", ack_op_name(op)}});
}

}  // namespace eventhub::worker
