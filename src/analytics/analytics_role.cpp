#include <eventhub/analytics/analytics_role.hpp>

#include <eventhub/common/log.hpp>
#include <eventhub/http/ops_routes.hpp>
#include <eventhub/http/server.hpp>
#include <eventhub/pg/pool.hpp>

namespace eventhub::analytics {

namespace {
// Placeholder until the analytics issue lands: ops routes and PostgreSQL readiness only.
class AnalyticsRole final : public common::Role {
 public:
  AnalyticsRole(const common::AnalyticsConfig& config, common::Runtime& runtime)
      : pool_(std::make_unique<pg::Pool>(pg::PoolOptions::from(config.db, "analytics"),
                                         runtime.registry())) {
    http::Router router;
    http::add_ops_routes(router, "analytics", runtime.health(), runtime.registry_ptr());
    runtime.health().add_check("analytics", "postgres", [p = pool_.get()] {
      return p->healthy() ? common::CheckResult{} : common::CheckResult{false, p->last_error()};
    });
    server_ =
        std::make_unique<http::Server>(runtime.io(), config.http, "analytics", std::move(router), runtime.registry());
    runtime.on_stop("analytics-http", [this](auto deadline) { server_->stop(deadline); });
  }
  void start() override { server_->start(); }

 private:
  std::unique_ptr<pg::Pool> pool_;
  std::unique_ptr<http::Server> server_;
};
}  // namespace

std::unique_ptr<common::Role> make_analytics_role(const common::AnalyticsConfig& config, common::Runtime& runtime) {
  return std::make_unique<AnalyticsRole>(config, runtime);
}

}  // namespace eventhub::analytics
