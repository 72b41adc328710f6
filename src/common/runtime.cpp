#include <eventhub/common/runtime.hpp>

#include <eventhub/common/cli.hpp>
#include <eventhub/common/log.hpp>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <csignal>
#include <future>

#ifndef EVENTHUB_VERSION
#define EVENTHUB_VERSION "0.0.0"
#endif
#ifndef EVENTHUB_GIT_COMMIT
#define EVENTHUB_GIT_COMMIT "unknown"
#endif

namespace eventhub::common {

Runtime::Runtime(std::string role_label)
    : role_label_(std::move(role_label)),
      registry_(std::make_shared<prometheus::Registry>()),
      health_(*registry_) {
  prometheus::BuildGauge()
      .Name("eventhub_build_info")
      .Help("Build of the running binary; always 1")
      .Register(*registry_)
      .Add({{"version", EVENTHUB_VERSION}, {"commit", EVENTHUB_GIT_COMMIT}, {"role", role_label_}})
      .Set(1);
}

Runtime::~Runtime() {
  if (!io_.stopped()) io_.stop();
  for (auto& t : threads_)
    if (t.joinable()) t.join();
}

void Runtime::on_stop(std::string name, StopAction action) { stop_actions_.emplace_back(std::move(name), std::move(action)); }

bool Runtime::run_until_signal(int threads, std::chrono::milliseconds drain_timeout) {
  auto work = net::make_work_guard(io_);
  std::promise<std::string> stop_reason;
  auto reason_future = stop_reason.get_future();
  std::once_flag once;
  auto fire = [&](std::string why) { std::call_once(once, [&] { stop_reason.set_value(std::move(why)); }); };

  net::signal_set signals(io_, SIGTERM, SIGINT);
  signals.async_wait([&](const boost::system::error_code& ec, int signo) {
    if (!ec) fire(signo == SIGTERM ? "SIGTERM" : "SIGINT");
  });

  for (int i = 0; i < std::max(1, threads); ++i) {
    threads_.emplace_back([this] {
      for (;;) {
        try {
          io_.run();
          return;
        } catch (const std::exception& e) {
          // A handler let an exception escape: log it and keep serving; one bad request must not kill the role.
          log::error("unhandled exception on I/O thread", "error", e.what());
        }
      }
    });
  }

  const std::string why = reason_future.get();
  const auto started = Clock::now();
  const auto deadline = started + drain_timeout;
  log::info("shutdown: draining", "reason", why, "drain_timeout_ms", drain_timeout.count());
  health_.start_draining();
  bool in_time = true;
  for (auto it = stop_actions_.rbegin(); it != stop_actions_.rend(); ++it) {
    try {
      it->second(deadline);
    } catch (const std::exception& e) {
      log::error("shutdown: stop action failed", "component", it->first, "error", e.what());
      in_time = false;
    }
  }
  if (Clock::now() > deadline) in_time = false;
  boost::system::error_code ignored;
  signals.cancel(ignored);
  work.reset();
  io_.stop();
  for (auto& t : threads_) t.join();
  threads_.clear();
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count();
  if (in_time)
    log::info("shutdown: drained", "took_ms", took);
  else
    log::warn("shutdown: drain did not finish in time", "took_ms", took);
  return in_time;
}

}  // namespace eventhub::common
