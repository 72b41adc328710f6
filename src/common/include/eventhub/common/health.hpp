#pragma once
// Readiness checks of one process. Roles register their checks when they are constructed; the HTTP
// ops routes evaluate them. A check must not block (it reads state kept by the component it checks),
// because readiness is answered on an HTTP I/O thread.

#include <atomic>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

namespace prometheus {
class Registry;
template <typename T> class Family;
class Gauge;
}  // namespace prometheus

namespace eventhub::common {

struct CheckResult {
  bool ok = true;
  std::string detail = "ok";
};

struct CheckReport {
  std::string name;
  CheckResult result;
};

class Health {
 public:
  using Check = std::function<CheckResult()>;

  explicit Health(prometheus::Registry& registry);

  void add_check(const std::string& role, const std::string& name, Check check);

  // Readiness of one role: every check of that role, plus "draining" once shutdown started.
  bool ready(const std::string& role, std::vector<CheckReport>* reports = nullptr) const;

  // Re-evaluates every role's readiness so the eventhub_ready gauge is current (called per scrape).
  void refresh() const;

  void start_draining() { draining_ = true; }
  bool draining() const { return draining_; }

 private:
  struct Entry {
    std::string role;
    std::string name;
    Check check;
  };
  mutable std::mutex mutex_;
  std::vector<Entry> checks_;
  std::atomic<bool> draining_{false};
  prometheus::Family<prometheus::Gauge>& ready_gauge_;
};

}  // namespace eventhub::common
