#pragma once
// A role (ingest, worker, analytics) wired into a Runtime. Constructed by main with its config;
// the constructor creates its components and registers their readiness checks and stop actions
// with the runtime; start() begins serving (binds ports: throws when it cannot).

namespace eventhub::common {

class Role {
 public:
  virtual ~Role() = default;
  virtual void start() = 0;
};

}  // namespace eventhub::common
