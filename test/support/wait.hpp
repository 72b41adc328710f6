#pragma once
// Waiting by probing: tests poll the condition they need instead of sleeping a guessed time.

#include <algorithm>
#include <chrono>
#include <thread>

namespace eventhub::test {

// Calls `probe` until it returns true (then true) or `timeout` passes (then false). The pause
// between probes starts at 1 ms and doubles up to `max_pause`, so fast conditions cost little and
// slow ones are not hammered.
template <class Probe>
bool wait_until(std::chrono::milliseconds timeout, Probe&& probe,
                std::chrono::milliseconds max_pause = std::chrono::milliseconds(25)) {
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + timeout;
  auto pause = std::chrono::milliseconds(1);
  for (;;) {
    if (probe()) return true;
    const auto now = Clock::now();
    if (now >= deadline) return false;
    std::this_thread::sleep_for(std::min<Clock::duration>(pause, deadline - now));
    pause = std::min(pause * 2, max_pause);
  }
}

}  // namespace eventhub::test
