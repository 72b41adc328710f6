#include <eventhub/worker/worker_role.hpp>

#include <eventhub/http/ops_routes.hpp>
#include <eventhub/http/server.hpp>
#include <eventhub/rollup/compactor.hpp>
#include <eventhub/worker/worker.hpp>

namespace eventhub::worker {

namespace {
// run-worker: the ops HTTP server (health, metrics) on --port, the Worker (its own threads) and the
// rollup compactor (its own thread and connection).
class WorkerRole final : public common::Role {
 public:
  WorkerRole(const common::WorkerConfig& config, common::Runtime& runtime)
      : worker_(std::make_unique<Worker>(config, runtime.registry(), runtime.health())),
        compactor_(std::make_unique<rollup::Compactor>(config.compactor, config.db, config.db_retry_delay,
                                                       runtime.registry())) {
    http::Router router;
    http::add_ops_routes(router, "worker", runtime.health(), runtime.registry_ptr());
    server_ = std::make_unique<http::Server>(runtime.io(), config.http, "worker", std::move(router), runtime.registry());
    // Stop actions run in reverse order: the worker drains first, /metrics stays up meanwhile.
    runtime.on_stop("worker-http", [this](auto deadline) { server_->stop(deadline); });
    runtime.on_stop("worker", [this](auto deadline) { worker_->stop(deadline); });
    // Runs first at shutdown: what the worker commits while draining is folded by the next start
    // (or by another worker's compactor).
    runtime.on_stop("rollup-compactor", [this](auto) { compactor_->stop(); });
  }
  void start() override {
    server_->start();
    worker_->start();
    compactor_->start();
  }

 private:
  std::unique_ptr<Worker> worker_;
  std::unique_ptr<rollup::Compactor> compactor_;
  std::unique_ptr<http::Server> server_;
};
}  // namespace

std::unique_ptr<common::Role> make_worker_role(const common::WorkerConfig& config, common::Runtime& runtime) {
  return std::make_unique<WorkerRole>(config, runtime);
}

}  // namespace eventhub::worker
