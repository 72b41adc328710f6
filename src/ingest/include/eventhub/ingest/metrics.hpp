#pragma once
// Ingest metric families (names fixed in the project context), registered once per role.
//   eventhub_ingest_events_total{source,outcome}      outcome = accepted | duplicate | rejected
//     (a duplicate — PubAck.Duplicate — is reported to the client inside "accepted" but counted
//      here only as outcome=duplicate)
//   eventhub_ingest_validation_errors_total{reason}   reason = missing|type|enum|range|format|length|
//                                                     event_type (per field error) or body-level
//                                                     invalid_json|not_object_or_array|empty_array|
//                                                     too_many_events|too_large|encoding|content_type
//   eventhub_nats_publish_total{outcome}              ok|duplicate|timeout|error (per message),
//                                                     unavailable|overloaded (per event refused
//                                                     before publishing)
//   eventhub_nats_publish_duration_seconds            publish call -> PubAck, per message
//   eventhub_nats_publish_inflight                    messages published and not yet acknowledged

#include <array>
#include <cstddef>
#include <string_view>
#include <vector>

namespace prometheus {
class Registry;
class Counter;
class Gauge;
class Histogram;
template <typename T> class Family;
}  // namespace prometheus

namespace eventhub::ingest {

class IngestMetrics {
 public:
  explicit IngestMetrics(prometheus::Registry& registry);

  enum class EventOutcome { accepted = 0, duplicate = 1, rejected = 2 };
  void events(std::string_view source, EventOutcome outcome, std::size_t n = 1);
  void validation_error(std::string_view reason, std::size_t n = 1);

  enum class PublishOutcome { ok = 0, duplicate, timeout, error, unavailable, overloaded };
  void publish(PublishOutcome outcome, std::size_t n = 1);
  void publish_latency(double seconds);
  void inflight_add(double delta);

 private:
  prometheus::Family<prometheus::Counter>& events_;
  prometheus::Family<prometheus::Counter>& validation_;
  prometheus::Family<prometheus::Counter>& publish_;
  prometheus::Family<prometheus::Histogram>& publish_duration_family_;
  prometheus::Family<prometheus::Gauge>& inflight_family_;
  // [source index in events::source_names(), then "unknown"][outcome]
  std::vector<std::array<prometheus::Counter*, 3>> events_by_;
  std::array<prometheus::Counter*, 6> publish_by_;
  prometheus::Histogram& publish_duration_;
  prometheus::Gauge& inflight_;
};

}  // namespace eventhub::ingest
