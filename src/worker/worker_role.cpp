#include <eventhub/worker/worker_role.hpp>

#include <eventhub/common/log.hpp>
#include <eventhub/http/ops_routes.hpp>
#include <eventhub/http/server.hpp>
#include <eventhub/nats/connection.hpp>
#include <eventhub/pg/pool.hpp>

namespace eventhub::worker {

namespace {
// Placeholder until the worker issue lands: ops routes, NATS and PostgreSQL readiness only.
class WorkerRole final : public common::Role {
 public:
  WorkerRole(const common::WorkerConfig& config, common::Runtime& runtime)
      : nats_(std::make_unique<nats::Connection>(config.nats, "eventhub-worker")),
        pool_(std::make_unique<pg::Pool>(pg::PoolOptions::from(config.db, "worker"),
                                         runtime.registry())) {
    http::Router router;
    http::add_ops_routes(router, "worker", runtime.health(), runtime.registry_ptr());
    runtime.health().add_check("worker", "nats", [n = nats_.get()] {
      return n->connected() ? common::CheckResult{} : common::CheckResult{false, "not connected"};
    });
    runtime.health().add_check("worker", "postgres", [p = pool_.get()] {
      return p->healthy() ? common::CheckResult{} : common::CheckResult{false, p->last_error()};
    });
    server_ = std::make_unique<http::Server>(runtime.io(), config.http, "worker", std::move(router), runtime.registry());
    runtime.on_stop("worker-http", [this](auto deadline) { server_->stop(deadline); });
  }
  void start() override { server_->start(); }

 private:
  std::unique_ptr<nats::Connection> nats_;
  std::unique_ptr<pg::Pool> pool_;
  std::unique_ptr<http::Server> server_;
};
}  // namespace

std::unique_ptr<common::Role> make_worker_role(const common::WorkerConfig& config, common::Runtime& runtime) {
  return std::make_unique<WorkerRole>(config, runtime);
}

}  // namespace eventhub::worker
