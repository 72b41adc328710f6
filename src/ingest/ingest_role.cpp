#include <eventhub/ingest/ingest_role.hpp>

#include <eventhub/common/log.hpp>
#include <eventhub/http/ops_routes.hpp>
#include <eventhub/http/server.hpp>
#include <eventhub/nats/connection.hpp>

namespace eventhub::ingest {

namespace {
// Placeholder until the ingest issue lands: ops routes and the NATS connection only.
class IngestRole final : public common::Role {
 public:
  IngestRole(const common::IngestConfig& config, common::Runtime& runtime)
      : nats_(std::make_unique<nats::Connection>(config.nats, "eventhub-ingest")) {
    http::Router router;
    http::add_ops_routes(router, "ingest", runtime.health(), runtime.registry_ptr());
    router.add(http::bhttp::verb::post, "/webhook/event", [](http::Request& req) -> http::net::awaitable<http::Response> {
      co_return http::json_error(http::Status::service_unavailable, "ingest is not implemented yet", {}, req.version());
    });
    runtime.health().add_check("ingest", "nats", [n = nats_.get()] {
      return n->connected() ? common::CheckResult{} : common::CheckResult{false, "not connected"};
    });
    server_ = std::make_unique<http::Server>(runtime.io(), config.http, "ingest", std::move(router), runtime.registry());
    runtime.on_stop("ingest-http", [this](auto deadline) { server_->stop(deadline); });
  }
  void start() override { server_->start(); }

 private:
  std::unique_ptr<nats::Connection> nats_;
  std::unique_ptr<http::Server> server_;
};
}  // namespace

std::unique_ptr<common::Role> make_ingest_role(const common::IngestConfig& config, common::Runtime& runtime) {
  return std::make_unique<IngestRole>(config, runtime);
}

}  // namespace eventhub::ingest
