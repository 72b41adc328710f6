#include <eventhub/ingest/metrics.hpp>

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <eventhub/events/vocabulary.hpp>

#include <algorithm>
#include <string>

namespace eventhub::ingest {

namespace {
// Events whose source is not in the vocabulary are counted under this label.
constexpr const char* kUnknownSource = "unknown";
constexpr std::array<const char*, 3> kEventOutcomes = {"accepted", "duplicate", "rejected"};
constexpr std::array<const char*, 6> kPublishOutcomes = {"ok", "duplicate", "timeout", "error", "unavailable",
                                                         "overloaded"};
}  // namespace

IngestMetrics::IngestMetrics(prometheus::Registry& registry)
    : events_(prometheus::BuildCounter()
                  .Name("eventhub_ingest_events_total")
                  .Help("Events received by ingest, by source and outcome (accepted, duplicate, rejected)")
                  .Register(registry)),
      validation_(prometheus::BuildCounter()
                      .Name("eventhub_ingest_validation_errors_total")
                      .Help("Validation errors by reason (per field error, or per body for body-level problems)")
                      .Register(registry)),
      publish_(prometheus::BuildCounter()
                   .Name("eventhub_nats_publish_total")
                   .Help("JetStream publishes by outcome (ok, duplicate, timeout, error; unavailable and "
                         "overloaded count events refused before publishing)")
                   .Register(registry)),
      publish_duration_family_(prometheus::BuildHistogram()
                                   .Name("eventhub_nats_publish_duration_seconds")
                                   .Help("Time from JetStream publish to PubAck (or failure), per message")
                                   .Register(registry)),
      inflight_family_(prometheus::BuildGauge()
                           .Name("eventhub_nats_publish_inflight")
                           .Help("Messages published to JetStream and not yet acknowledged")
                           .Register(registry)),
      publish_duration_(publish_duration_family_.Add(
          {}, prometheus::Histogram::BucketBoundaries{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                      0.5, 1, 2.5, 5, 10})),
      inflight_(inflight_family_.Add({})) {
  std::vector<std::string> sources(events::source_names().begin(), events::source_names().end());
  sources.emplace_back(kUnknownSource);
  events_by_.resize(sources.size());
  for (std::size_t s = 0; s < sources.size(); ++s)
    for (std::size_t o = 0; o < kEventOutcomes.size(); ++o)
      events_by_[s][o] = &events_.Add({{"source", sources[s]}, {"outcome", kEventOutcomes[o]}});
  for (std::size_t o = 0; o < kPublishOutcomes.size(); ++o)
    publish_by_[o] = &publish_.Add({{"outcome", kPublishOutcomes[o]}});
  // Known reasons exist from the start (a family without series is not exported at all).
  for (const char* reason : {"missing", "type", "enum", "range", "format", "length", "event_type", "invalid_json",
                             "not_object_or_array", "empty_array", "too_many_events", "too_large", "encoding",
                             "content_type", "unauthorized"})
    validation_.Add({{"reason", reason}});
}

void IngestMetrics::events(std::string_view source, EventOutcome outcome, std::size_t n) {
  const auto names = events::source_names();
  const auto s = static_cast<std::size_t>(std::find(names.begin(), names.end(), source) - names.begin());
  events_by_[s][static_cast<std::size_t>(outcome)]->Increment(static_cast<double>(n));  // s == size: unknown
}

void IngestMetrics::validation_error(std::string_view reason, std::size_t n) {
  validation_.Add({{"reason", std::string(reason)}}).Increment(static_cast<double>(n));
}

void IngestMetrics::publish(PublishOutcome outcome, std::size_t n) {
  publish_by_[static_cast<std::size_t>(outcome)]->Increment(static_cast<double>(n));
}

void IngestMetrics::publish_latency(double seconds) { publish_duration_.Observe(seconds); }

void IngestMetrics::inflight_add(double delta) { inflight_.Increment(delta); }

}  // namespace eventhub::ingest
