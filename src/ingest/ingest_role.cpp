// The ingest role: POST /webhook/event -> decode -> validate -> JetStream (PubAck) -> 202.
// Wiring only; the steps live in decode.cpp, batch.cpp, publisher.cpp, auth.cpp, openapi.cpp.
#include <eventhub/ingest/ingest_role.hpp>

#include <eventhub/common/log.hpp>
#include <eventhub/http/ops_routes.hpp>
#include <eventhub/http/server.hpp>
#include <eventhub/ingest/auth.hpp>
#include <eventhub/ingest/batch.hpp>
#include <eventhub/ingest/decode.hpp>
#include <eventhub/ingest/metrics.hpp>
#include <eventhub/ingest/openapi.hpp>
#include <eventhub/ingest/publisher.hpp>
#include <eventhub/ingest/rejections.hpp>
#include <eventhub/nats/connection.hpp>

#include <chrono>

namespace eventhub::ingest {

namespace {

using http::Request;
using http::Response;
using http::Status;

class IngestRole final : public common::Role {
 public:
  IngestRole(const common::IngestConfig& config, common::Runtime& runtime)
      : config_(config),
        metrics_(runtime.registry()),
        nats_(std::make_unique<nats::Connection>(config.nats, "eventhub-ingest")),
        publisher_(std::make_unique<Publisher>(*nats_, config, metrics_)) {
    prepare_.max_batch_events = config.max_batch_events;
    prepare_.subject_prefix = config.nats.subject_prefix;

    http::Router router;
    http::add_ops_routes(router, "ingest", runtime.health(), runtime.registry_ptr());
    http::add_swagger_routes(router, openapi_document(!config.api_keys.empty() || !config.hmac_secret.empty()));
    router.add(http::bhttp::verb::post, "/webhook/event",
               [this](Request& req) -> http::net::awaitable<Response> { co_return co_await handle(req); });
    runtime.health().add_check("ingest", "nats", [p = publisher_.get()] {
      return p->ready() ? common::CheckResult{} : common::CheckResult{false, p->not_ready_reason()};
    });
    server_ = std::make_unique<http::Server>(runtime.io(), config.http, "ingest", std::move(router), runtime.registry());
    // Stop actions run in reverse order: HTTP drains first (in-flight requests wait for their
    // PubAcks), then outstanding publishes are completed and the NATS connection closes.
    runtime.on_stop("ingest-nats", [this](auto deadline) {
      publisher_->drain(deadline);
      nats_->close();
    });
    runtime.on_stop("ingest-http", [this](auto deadline) { server_->stop(deadline); });
  }

  void start() override {
    server_->start();
    log::info("ingest listening", "host", config_.http.host, "port", server_->port(), "nats", config_.nats.url,
              "stream", config_.nats.stream);
  }

 private:
  // The answer to a refused request (and its validation metric when it has a reason).
  Response refuse(const http::Rejection& r, const Request& req, bool count = true) {
    if (count && !r.reason.empty()) metrics_.validation_error(r.reason);
    return http::respond(r, req.version(), config_.retry_after_seconds);
  }

  http::net::awaitable<Response> handle(Request& req) {
    // 1. Authentication (optional), on the body as sent.
    if (!config_.api_keys.empty()) {
      if (auto why = check_api_key(req[http::bhttp::field::authorization], req["X-Api-Key"], config_.api_keys))
        co_return refuse(unauthorized(*why, true), req);
    }
    if (!config_.hmac_secret.empty()) {
      const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                           std::chrono::system_clock::now().time_since_epoch()).count();
      if (auto why = verify_signature(req["X-Eventhub-Signature"], req.body(), config_.hmac_secret,
                                      config_.hmac_tolerance.count(), now)) {
        co_return refuse(unauthorized(*why, false), req);
      }
    }
    // 2. Content type and encoding.
    if (!is_json_content_type(req[http::bhttp::field::content_type])) co_return refuse(unsupported_content_type(), req);
    std::string inflated;
    bool identity = true;
    const Decoded decoded = decode_body(req[http::bhttp::field::content_encoding], req.body(),
                                        config_.max_decompressed_size, inflated, identity);
    if (auto r = rejection_of(decoded)) co_return refuse(*r, req);
    const std::string_view text = identity ? std::string_view(req.body()) : std::string_view(inflated);

    // 3. Parse and validate.
    PreparedBody body = prepare_body(text, prepare_);
    if (auto r = rejection_of(body)) co_return refuse(*r, req);
    for (const auto& [kind, n] : body.issue_kinds) metrics_.validation_error(kind, n);
    for (const auto& r : body.rejected) metrics_.events(r.source, IngestMetrics::EventOutcome::rejected);
    if (body.valid.empty()) co_return http::json_response(Status::unprocessable_entity, render_result(0, 0, body.rejected), req.version());

    // 4. Publish; answer only after every PubAck.
    const PublishResult published = co_await publisher_->publish(body.valid);
    if (auto r = rejection_of(published)) {
      if (published.kind == PublishResult::Kind::timeout || published.kind == PublishResult::Kind::error)
        log::warn("publish failed; answering 503", "events", body.valid.size(), "error", published.detail);
      co_return refuse(*r, req, false);  // counted by the publisher (eventhub_nats_publish_total)
    }
    // Per source: accepted (new) and duplicate events, for the metrics.
    std::map<std::string_view, std::pair<std::size_t, std::size_t>> by_source;
    for (std::size_t i = 0; i < body.valid.size(); ++i) {
      auto& [fresh, dup] = by_source[body.valid[i].source];
      (i < published.duplicate.size() && published.duplicate[i] ? dup : fresh)++;
    }
    for (const auto& [source, counts] : by_source) {
      if (counts.first) metrics_.events(source, IngestMetrics::EventOutcome::accepted, counts.first);
      if (counts.second) metrics_.events(source, IngestMetrics::EventOutcome::duplicate, counts.second);
    }
    co_return http::json_response(Status::accepted,
                                  render_result(body.valid.size(), published.duplicates, body.rejected), req.version());
  }

  common::IngestConfig config_;
  PrepareOptions prepare_;
  IngestMetrics metrics_;
  std::unique_ptr<nats::Connection> nats_;
  std::unique_ptr<Publisher> publisher_;
  std::unique_ptr<http::Server> server_;
};

}  // namespace

std::unique_ptr<common::Role> make_ingest_role(const common::IngestConfig& config, common::Runtime& runtime) {
  return std::make_unique<IngestRole>(config, runtime);
}

}  // namespace eventhub::ingest
