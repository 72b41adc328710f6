#include <eventhub/analytics/analytics_role.hpp>

#include <eventhub/analytics/endpoints.hpp>
#include <eventhub/analytics/openapi.hpp>
#include <eventhub/common/blocking.hpp>
#include <eventhub/common/log.hpp>
#include <eventhub/http/ops_routes.hpp>
#include <eventhub/http/rejection.hpp>
#include <eventhub/http/server.hpp>
#include <eventhub/pg/pool.hpp>
#include <eventhub/rollup/store.hpp>

#include <boost/asio/thread_pool.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>
#include <prometheus/counter.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <chrono>
#include <map>

namespace eventhub::analytics {

namespace {

namespace net = boost::asio;

int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Outcome of answering one request on a blocking thread.
struct QueryOutcome {
  enum class Kind { ok, timeout, unavailable, building, internal } kind = Kind::ok;
  std::string message;
  std::string body;
};

const char* kind_label(QueryOutcome::Kind k) {
  switch (k) {
    case QueryOutcome::Kind::ok: return "ok";
    case QueryOutcome::Kind::timeout: return "timeout";
    case QueryOutcome::Kind::unavailable: return "unavailable";
    case QueryOutcome::Kind::building: return "unavailable";
    case QueryOutcome::Kind::internal: return "internal";
  }
  return "internal";
}

// Owned by make_analytics_role's caller (main) through the Role; constructed before the runtime runs.
// HTTP handlers run on the server's strands; every query runs on `threads_` (blocking libpq) with a
// connection of the role's own read-only pool. Stop order: HTTP drain, then the query threads, then
// the pool.
class AnalyticsRole final : public common::Role {
 public:
  AnalyticsRole(const common::AnalyticsConfig& config, common::Runtime& runtime)
      : config_(config),
        pool_(std::make_unique<pg::Pool>(pool_options(config), runtime.registry())),
        threads_(std::make_unique<net::thread_pool>(static_cast<std::size_t>(std::max(1, config.query_threads)))),
        durations_(prometheus::BuildHistogram()
                       .Name("eventhub_analytics_query_duration_seconds")
                       .Help("Analytics database time per request (all statements of the endpoint), by endpoint")
                       .Register(runtime.registry())),
        errors_(prometheus::BuildCounter()
                    .Name("eventhub_analytics_query_errors_total")
                    .Help("Analytics requests that failed, by endpoint and kind "
                          "(bad_request, timeout, unavailable, internal)")
                    .Register(runtime.registry())) {
    http::Router router;
    http::add_ops_routes(router, "analytics", runtime.health(), runtime.registry_ptr());
    http::add_swagger_routes(router, openapi_document());
    for (const EndpointSpec& e : endpoints()) {
      static const prometheus::Histogram::BucketBoundaries buckets{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                                   0.1,    0.25,  0.5,    1,     2.5,  5,     10, 30};
      const std::string label(e.label);
      Metrics m{&durations_.Add({{"endpoint", label}}, buckets), {}};
      for (const char* kind : {"bad_request", "timeout", "unavailable", "internal"})
        m.errors[kind] = &errors_.Add({{"endpoint", label}, {"kind", kind}});
      metrics_[e.id] = m;
      const EndpointSpec* spec = &e;
      router.add(http::bhttp::verb::get, std::string(e.path), [this, spec](http::Request& req) { return handle(*spec, req); });
    }
    runtime.health().add_check("analytics", "postgres", [p = pool_.get()] {
      return p->healthy() ? common::CheckResult{} : common::CheckResult{false, p->last_error()};
    });
    server_ =
        std::make_unique<http::Server>(runtime.io(), config.http, "analytics", std::move(router), runtime.registry());
    // Reverse order at shutdown: HTTP drains first (active queries complete), then threads, then pool.
    runtime.on_stop("analytics-pool", [this](auto) { pool_->close(); });
    runtime.on_stop("analytics-queries", [this](auto) { threads_->join(); });
    runtime.on_stop("analytics-http", [this](auto deadline) { server_->stop(deadline); });
  }

  void start() override {
    server_->start();
    log::info("analytics listening", "port", server_->port(), "query_threads", config_.query_threads,
              "statement_timeout_ms", config_.statement_timeout.count(), "default_window_h",
              config_.default_window.count());
  }

 private:
  struct Metrics {
    prometheus::Histogram* duration = nullptr;
    std::map<std::string, prometheus::Counter*> errors;
  };

  static pg::PoolOptions pool_options(const common::AnalyticsConfig& config) {
    auto o = pg::PoolOptions::from(config.db, "analytics");
    o.session_setup = {
        "SET default_transaction_read_only = on",
        "SET statement_timeout = " + std::to_string(config.statement_timeout.count()),
        "SET TIME ZONE 'UTC'",
        // JIT compilation costs tens of milliseconds per aggregate over ~100k+ rows and buys nothing
        // for these short scans (measured in bench/analytics).
        "SET jit = off",
        // Per-user hash aggregates of a week's events need more than the 4MB default to stay in memory
        // (bounded: at most --db-pool-max sessions, each usually one hash table).
        "SET work_mem = '32MB'",
        "SET application_name = 'eventhub-analytics'",
    };
    return o;
  }

  // One request in one REPEATABLE READ snapshot: the fold watermark, the rollup rows and the raw rows
  // the answer adds are read together, so each event in the window is counted exactly once.
  QueryOutcome run(const EndpointSpec& spec, const QueryOptions& options) {
    QueryOutcome out;
    try {
      pg::PooledConnection conn = pool_->acquire();
      try {
        conn->exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
        const auto state = rollup::read_state(*conn);
        if (!state) {
          out.kind = QueryOutcome::Kind::building;
          out.message = "the database schema is older than this version: run `eventhub migrate`";
        } else if (!state->backfill_done()) {
          out.kind = QueryOutcome::Kind::building;
          out.message = "the analytics rollups of events stored before the upgrade are still being built (`eventhub "
                        "migrate` or the worker is building them); retry later";
        } else {
          Snapshot snapshot(*conn, *state, options.from_us, options.to_us);
          out.body = spec.answer(snapshot, options);
        }
        conn->exec("COMMIT");
      } catch (...) {
        // Leave the connection clean for the next request (a cancelled statement leaves an aborted
        // transaction); when even that fails, drop the connection.
        try {
          if (conn->ok()) conn->exec("ROLLBACK");
        } catch (const pg::Error&) {
          conn.discard();
        }
        if (!conn->ok()) conn.discard();
        throw;
      }
    } catch (const pg::Error& e) {
      out.body.clear();
      out.message = e.what();
      const std::string& state = e.sqlstate();
      if (state == "57014") out.kind = QueryOutcome::Kind::timeout;
      else if (e.retryable()) out.kind = QueryOutcome::Kind::unavailable;
      else out.kind = QueryOutcome::Kind::internal;
    } catch (const std::exception& e) {
      out.body.clear();
      out.message = e.what();
      out.kind = QueryOutcome::Kind::internal;
    }
    return out;
  }

  net::awaitable<http::Response> handle(const EndpointSpec& spec, http::Request& req) {
    const unsigned version = req.version();
    Metrics& m = metrics_.at(spec.id);
    const auto params = http::parse_query(req.target());
    const ParseResult parsed = parse_options(spec.id, params, now_us(), config_.default_window);
    if (parsed.error) {
      m.errors.at("bad_request")->Increment();
      co_return refuse({http::Status::bad_request, parsed.error->message, "bad_request",
                        "{\"parameter\":" + boost::json::serialize(boost::json::string(parsed.error->parameter)) + "}"},
                       version);
    }
    const QueryOptions options = *parsed.options;
    const auto started = std::chrono::steady_clock::now();
    // Captured by pointer: this frame outlives the blocking call (g++ 12 mishandles a moved-in
    // capture of a non-trivial type in the pool-side coroutine).
    const QueryOptions* opts = &options;
    const EndpointSpec* endpoint = &spec;
    QueryOutcome outcome =
        co_await common::run_blocking(*threads_, [this, endpoint, opts] { return run(*endpoint, *opts); });
    m.duration->Observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());

    if (outcome.kind == QueryOutcome::Kind::ok)
      co_return http::json_response(http::Status::ok, std::move(outcome.body), version);
    m.errors.at(kind_label(outcome.kind))->Increment();
    co_return refuse(rejection_of(spec, outcome), version);
  }

  // The answer to a query that did not complete; logged here, with the full error.
  http::Rejection rejection_of(const EndpointSpec& spec, const QueryOutcome& outcome) const {
    using http::Status;
    switch (outcome.kind) {
      case QueryOutcome::Kind::building:
        return {Status::service_unavailable, outcome.message, "unavailable"};
      case QueryOutcome::Kind::timeout:
        log::warn("analytics query cancelled by statement timeout", "endpoint", spec.label, "timeout_ms",
                  config_.statement_timeout.count());
        return {Status::service_unavailable,
                "query exceeded the statement timeout of " + std::to_string(config_.statement_timeout.count()) +
                    " ms; narrow the window (from/to) or retry later",
                "timeout"};
      case QueryOutcome::Kind::unavailable:
        log::warn("analytics database unavailable", "endpoint", spec.label, "error", outcome.message);
        return {Status::service_unavailable, "database unavailable or busy; retry later", "unavailable"};
      default:
        log::error("analytics query failed", "endpoint", spec.label, "error", outcome.message);
        return {Status::internal_server_error, "internal error", "internal"};
    }
  }

  http::Response refuse(const http::Rejection& r, unsigned version) const {
    return http::respond(r, version, config_.retry_after_seconds);
  }

  common::AnalyticsConfig config_;
  std::unique_ptr<pg::Pool> pool_;
  std::unique_ptr<net::thread_pool> threads_;
  prometheus::Family<prometheus::Histogram>& durations_;
  prometheus::Family<prometheus::Counter>& errors_;
  std::map<Endpoint, Metrics> metrics_;
  std::unique_ptr<http::Server> server_;
};

}  // namespace

std::unique_ptr<common::Role> make_analytics_role(const common::AnalyticsConfig& config, common::Runtime& runtime) {
  return std::make_unique<AnalyticsRole>(config, runtime);
}

}  // namespace eventhub::analytics
