#pragma once
// Private to src/worker. The drain request every worker thread watches, with its deadline, and the
// wake-ups that cut a pause short (the drain itself, a NATS reconnect). Owned by the Worker.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>

namespace eventhub::worker {

using Clock = std::chrono::steady_clock;

class StopSignal {
 public:
  void request(Clock::time_point deadline) {
    {
      std::lock_guard lock(mutex_);
      deadline_ = deadline;
      stopping_ = true;
    }
    cv_.notify_all();
  }
  bool requested() const { return stopping_.load(); }
  void wake_all() { cv_.notify_all(); }

  // Sleeps up to `d`, returning early when stopping (true = stop requested).
  bool pause(std::chrono::milliseconds d) {
    std::unique_lock lock(mutex_);
    cv_.wait_for(lock, d, [this] { return stopping_.load(); });
    return stopping_;
  }
  // Sleeps up to `d` or until any wake-up, never past the drain deadline.
  void nap(Clock::duration d) {
    std::unique_lock lock(mutex_);
    const auto until = std::min(Clock::now() + d, stopping_ ? deadline_ : Clock::time_point::max());
    cv_.wait_until(lock, until);
  }
  bool past_deadline() {
    std::lock_guard lock(mutex_);
    return stopping_ && Clock::now() >= deadline_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::atomic<bool> stopping_{false};
  Clock::time_point deadline_ = Clock::time_point::max();
};

// A loop's "I am alive" time, read by the readiness check.
using Heartbeat = std::atomic<Clock::rep>;
inline void beat(Heartbeat& heartbeat) { heartbeat.store(Clock::now().time_since_epoch().count()); }

}  // namespace eventhub::worker
