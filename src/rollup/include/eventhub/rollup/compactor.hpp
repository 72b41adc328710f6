#pragma once
// The worker's rollup compactor: a thread that keeps folding committed events into the rollups
// (Folder::step) on its own PostgreSQL connection, so the analytics answers stay cheap at any table
// size. Several workers may each run one: the fold lock lets one step run at a time, the others find
// it taken and wait for the next turn. Created and stopped by the worker role; never touches an
// HTTP I/O thread. Reconnects after database outages; a failed step changes nothing (one
// transaction) and is retried.

#include <eventhub/common/config.hpp>

#include <chrono>
#include <memory>

namespace prometheus {
class Registry;
}

namespace eventhub::rollup {

class Compactor {
 public:
  Compactor(const common::CompactorConfig& config, const common::DatabaseConfig& db, std::chrono::milliseconds retry_delay,
            prometheus::Registry& registry);
  ~Compactor();
  Compactor(const Compactor&) = delete;
  Compactor& operator=(const Compactor&) = delete;

  void start();
  // Lets the step in progress finish (it is one bounded transaction), then returns.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace eventhub::rollup
