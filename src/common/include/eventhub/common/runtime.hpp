#pragma once
// The process-wide runtime, created once by main and shared by every role it starts: one Asio
// io_context (HTTP and timers), one Prometheus registry, one Health. Roles register their stop
// actions; shutdown runs them in reverse order of registration (a drain, not io_context::stop).

#include <eventhub/common/health.hpp>

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace prometheus {
class Registry;
}

namespace eventhub::common {

namespace net = boost::asio;

class Runtime {
 public:
  using Clock = std::chrono::steady_clock;
  // A stop action gets the deadline by which it should have drained.
  using StopAction = std::function<void(Clock::time_point deadline)>;

  explicit Runtime(std::string role_label);
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  net::io_context& io() { return io_; }
  prometheus::Registry& registry() { return *registry_; }
  std::shared_ptr<prometheus::Registry> registry_ptr() { return registry_; }
  Health& health() { return health_; }

  void on_stop(std::string name, StopAction action);

  // Runs the io_context on `threads` threads until SIGTERM/SIGINT, then
  // drains: readiness goes 503, stop actions run in reverse order within `drain_timeout`.
  // Returns true when everything drained in time.
  bool run_until_signal(int threads, std::chrono::milliseconds drain_timeout);

 private:
  std::string role_label_;
  net::io_context io_;
  std::shared_ptr<prometheus::Registry> registry_;
  Health health_;
  std::vector<std::pair<std::string, StopAction>> stop_actions_;
  std::vector<std::thread> threads_;
};

}  // namespace eventhub::common
