#pragma once
// Private to src/worker. How a dead letter is written: the record (dlq::make_dead_letter) is
// published synchronously to the dead-letter stream and, only after its PubAck, the original is
// terminated. When the DLQ cannot take it, the original is NAKed with --db-retry-delay-ms instead:
// it comes back later, never terminated without its copy. Shared by the writer threads.

#include "metrics.hpp"
#include "settle.hpp"

#include <eventhub/common/config.hpp>
#include <eventhub/nats/connection.hpp>

#include <string>

namespace eventhub::worker {

class DeadLetterSink {
 public:
  DeadLetterSink(nats::Connection& connection, const common::WorkerConfig& config, Metrics& metrics, Settler& settler)
      : connection_(connection), config_(config), metrics_(metrics), settler_(settler) {}

  // Settles `item` either way (Term after the PubAck, or NAK with delay).
  void dead_letter(Item& item, const char* reason, const std::string& error);

 private:
  nats::Connection& connection_;
  const common::WorkerConfig& config_;
  Metrics& metrics_;
  Settler& settler_;
};

}  // namespace eventhub::worker
