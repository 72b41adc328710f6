// The built binary as users and orchestrators meet it: help, version, bad input, each role's health,
// readiness following its dependencies, and a clean exit on SIGTERM.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>

#include "eventhub_process.hpp"
#include "http_client.hpp"
#include "nats_server.hpp"
#include "ports.hpp"
#include "postgres_server.hpp"
#include "wait.hpp"

#include <csignal>
#include <string>

using namespace eventhub::test;
using namespace std::chrono_literals;

namespace {
std::size_t line_count(const std::string& s) {
  std::size_t n = 0;
  for (char c : s) n += c == '\n';
  return n + (!s.empty() && s.back() != '\n');
}

std::string dead_nats_url() { return "nats://127.0.0.1:" + std::to_string(free_port()); }
std::string dead_db_url() { return "postgresql://postgres@127.0.0.1:" + std::to_string(free_port()) + "/eventhub"; }

struct RoleCase {
  std::string command;
  bool needs_nats;
  bool needs_db;
};
const RoleCase kRoles[] = {{"serve-ingest", true, false}, {"run-worker", true, true}, {"serve-analytics", false, true}};

std::vector<std::string> role_args(const RoleCase& role, uint16_t port, const std::string& nats, const std::string& db) {
  std::vector<std::string> args{role.command, "--host", "127.0.0.1", "--port", std::to_string(port)};
  if (role.needs_nats) args.insert(args.end(), {"--nats-url", nats});
  if (role.needs_db) args.insert(args.end(), {"--database-url", db, "--db-pool-min", "1", "--db-pool-max", "4"});
  return args;
}
}  // namespace

TEST_CASE("help and version", "[cli]") {
  auto r = EventhubProcess::run({"--help"});
  CHECK(r.exit_status == 0);
  for (const char* sub : {"serve-ingest", "run-worker", "serve-analytics", "all", "migrate", "publish", "dlq"})
    CHECK(r.out.find(sub) != std::string::npos);
  for (const char* sub : {"serve-ingest", "run-worker", "serve-analytics", "all", "migrate", "publish", "dlq"}) {
    INFO(sub);
    auto h = EventhubProcess::run({sub, "--help"});
    CHECK(h.exit_status == 0);
    CHECK(h.out.find("Usage: eventhub " + std::string(sub)) != std::string::npos);
  }
  CHECK(EventhubProcess::run({"dlq", "list", "--help"}).exit_status == 0);
  r = EventhubProcess::run({"--version"});
  CHECK(r.exit_status == 0);
  CHECK(r.out.rfind("eventhub ", 0) == 0);
}

TEST_CASE("bad flags and values exit 2 with a one-line reason naming the problem", "[cli]") {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases{
      {{"serve-ingest", "--bogus"}, "--bogus"},
      {{"serve-ingest", "--port", "70000"}, "--port"},
      {{"serve-ingest", "--port", "abc"}, "--port"},
      {{"run-worker", "--batch-size", "0"}, "--batch-size"},
      {{"run-worker", "--db-pool-min", "9", "--db-pool-max", "3"}, "--db-pool-min"},
      {{"frobnicate"}, "frobnicate"},
      {{}, "subcommand"},
      {{"--log-level", "loud", "serve-ingest"}, "--log-level"},
      {{"publish", "--duplicate-ratio", "2"}, "--duplicate-ratio"},
  };
  for (const auto& [args, needle] : cases) {
    INFO("args: " << (args.empty() ? std::string("(none)") : args.front()) << " expecting " << needle);
    auto r = EventhubProcess::run(args);
    CHECK(r.exit_status == 2);
    CHECK(line_count(r.err) == 1);
    CHECK(r.err.find(needle) != std::string::npos);
  }
  // Environment values are validated like flags.
  auto r = EventhubProcess::run({"serve-ingest"}, {{"PORT", "not-a-port"}});
  CHECK(r.exit_status == 2);
  CHECK(r.err.find("PORT") != std::string::npos);
}

TEST_CASE("migrate against an unreachable database fails with one clear line", "[cli]") {
  auto r = EventhubProcess::run({"migrate", "--database-url", dead_db_url(), "--db-connect-timeout-ms", "1000"});
  CHECK(r.exit_status == 1);
  CHECK(r.err.find("cannot connect to PostgreSQL") != std::string::npos);
}

TEST_CASE("the README configuration table matches --help", "[cli]") {
  auto r = run_process({.argv = {"python3", EVENTHUB_SOURCE_DIR "/scripts/gen_config_table.py", "--check", "--binary",
                                 EventhubProcess::default_binary().string(), "--readme",
                                 EVENTHUB_SOURCE_DIR "/README.md"}});
  INFO(r.err);
  CHECK(r.exit_status == 0);
}

TEST_CASE("each role is live without its dependencies, not ready, and drains on SIGTERM", "[cli]") {
  for (const auto& role : kRoles) {
    INFO(role.command);
    const uint16_t port = free_port();
    EventhubProcess p(role_args(role, port, dead_nats_url(), dead_db_url()));
    p.wait_ready(port);
    CHECK(http_get(port, "/health/liveness").body == R"({"status":"ok"})");
    auto ready = http_get(port, "/health/readiness");
    CHECK(ready.status == 503);
    if (role.needs_nats) CHECK(ready.body.find("\"nats\"") != std::string::npos);
    if (role.needs_db) CHECK(ready.body.find("\"postgres\"") != std::string::npos);
    auto metrics = http_get(port, "/metrics");
    CHECK(metrics.status == 200);
    CHECK(metrics.body.find("eventhub_build_info") != std::string::npos);
    CHECK(http_get(port, "/no/such/route").status == 404);
    CHECK(p.stop() == 0);
  }
}

TEST_CASE("readiness follows the dependencies: 200 when up, 503 while down, 200 again", "[cli]") {
  NatsServer nats;
  PostgresServer pg;
  pg.create_database("eventhub");
  const std::string db = pg.url("eventhub");
  for (const auto& role : kRoles) {
    INFO(role.command);
    const uint16_t port = free_port();
    EventhubProcess p(role_args(role, port, nats.url(), db));
    p.wait_ready(port, 30s, "/health/readiness");
    CHECK(http_get(port, "/health/readiness").status == 200);
    if (role.needs_nats) {
      nats.stop();
      CHECK(wait_until(15s, [&] { return http_get(port, "/health/readiness").status == 503; }));
      nats.start();
      CHECK(wait_until(30s, [&] { return http_get(port, "/health/readiness").status == 200; }));
    }
    CHECK(p.stop() == 0);
  }
}

TEST_CASE("`all` serves the three roles on their ports and exits 0 on SIGTERM", "[cli]") {
  NatsServer nats;
  PostgresServer pg;
  pg.create_database("eventhub");
  const uint16_t ingest = free_port(), worker = free_port(), analytics = free_port();
  EventhubProcess p({"all", "--host", "127.0.0.1", "--ingest-port", std::to_string(ingest), "--worker-port",
                     std::to_string(worker), "--analytics-port", std::to_string(analytics), "--nats-url", nats.url(),
                     "--database-url", pg.url("eventhub"), "--db-pool-min", "1", "--db-pool-max", "6"});
  for (uint16_t port : {ingest, worker, analytics}) p.wait_ready(port, 30s, "/health/readiness");
  CHECK(pg.query_scalar("eventhub", "SELECT count(*) FROM schema_migrations") != "0");
  CHECK(http_get(ingest, "/api-json").status == 200);
  CHECK(http_get(analytics, "/api-json").status == 200);
  CHECK(p.stop() == 0);
}
