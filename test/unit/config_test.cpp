#include <eventhub/common/cli.hpp>

#include <CLI/CLI.hpp>
#include <catch2/catch.hpp>

#include <cstdlib>
#include <set>

using namespace eventhub::common;

namespace {
struct Parsed {
  CLI::App app{"eventhub", "eventhub"};
  CliConfig config;
  Subcommands subs;
  Parsed() { subs = declare_cli(app, config); }
  void parse(std::vector<std::string> args) {
    std::reverse(args.begin(), args.end());  // CLI11 takes a reversed vector
    app.parse(args);
    finalize_config(config, subs);
  }
};

void collect(const CLI::App& app, std::vector<const CLI::Option*>& out) {
  for (const auto* opt : app.get_options()) out.push_back(opt);
  for (const auto* sub : app.get_subcommands([](const CLI::App*) { return true; })) collect(*sub, out);
}

struct EnvGuard {
  std::string name;
  EnvGuard(const char* n, const char* v) : name(n) { ::setenv(n, v, 1); }
  ~EnvGuard() { ::unsetenv(name.c_str()); }
};
}  // namespace

TEST_CASE("every option has an environment variable and a description", "[config]") {
  Parsed p;
  std::vector<const CLI::Option*> options;
  collect(p.app, options);
  REQUIRE(options.size() > 60);
  for (const auto* opt : options) {
    const auto& names = opt->get_lnames();
    if (names.empty() || names.front() == "help" || names.front() == "version") continue;
    INFO("option --" << names.front());
    CHECK_FALSE(opt->get_envname().empty());
    CHECK_FALSE(opt->get_description().empty());
  }
}

TEST_CASE("the contract's options and environment names exist with their defaults", "[config]") {
  Parsed p;
  const auto env_of = [&](CLI::App* app, const std::string& flag) { return app->get_option(flag)->get_envname(); };
  for (auto* app : {p.subs.serve_ingest, p.subs.run_worker, p.subs.serve_analytics}) CHECK(env_of(app, "--port") == "PORT");
  CHECK(env_of(p.subs.serve_ingest, "--nats-url") == "NATS_URL");
  CHECK(env_of(p.subs.run_worker, "--nats-url") == "NATS_URL");
  CHECK(env_of(p.subs.dlq, "--nats-url") == "NATS_URL");
  CHECK(env_of(p.subs.run_worker, "--database-url") == "DATABASE_URL");
  CHECK(env_of(p.subs.serve_analytics, "--database-url") == "DATABASE_URL");
  CHECK(env_of(p.subs.migrate, "--database-url") == "DATABASE_URL");
  CHECK(env_of(p.subs.run_worker, "--batch-size") == "NATS_BATCH_SIZE");
  CHECK(env_of(p.subs.run_worker, "--concurrency") == "NATS_CONCURRENCY");
  CHECK(env_of(p.subs.run_worker, "--max-ack-pending") == "NATS_MAX_ACK_PENDING");
  CHECK(env_of(p.subs.run_worker, "--db-pool-max") == "DB_POOL_MAX");
  CHECK(env_of(p.subs.serve_analytics, "--db-pool-min") == "DB_POOL_MIN");
  for (const char* flag : {"--ingest-port", "--worker-port", "--analytics-port"}) CHECK(p.subs.all->get_option(flag));
  for (const char* flag : {"--url", "--count", "--batch", "--connections", "--rate", "--duplicate-ratio",
                           "--invalid-ratio", "--seed"})
    CHECK(p.subs.publish->get_option(flag));
}

TEST_CASE("defaults per role follow the contract", "[config]") {
  SECTION("worker") {
    Parsed p;
    p.parse({"run-worker"});
    CHECK(p.config.worker.http.port == 3004);
    CHECK(p.config.worker.batch_size == 5000);
    CHECK(p.config.worker.concurrency == 300);
    CHECK(p.config.worker.max_ack_pending == 20000);
    CHECK(p.config.worker.db.pool_max == 75);
    CHECK(p.config.worker.db.pool_min == 10);
    CHECK(p.config.worker.nats.url == "nats://127.0.0.1:4222");
    CHECK(p.config.worker.db.url == "postgresql://postgres@127.0.0.1:5432/eventhub");
  }
  SECTION("analytics") {
    Parsed p;
    p.parse({"serve-analytics"});
    CHECK(p.config.analytics.http.port == 3002);
    CHECK(p.config.analytics.db.pool_max == 50);
    CHECK(p.config.analytics.db.pool_min == 10);
  }
  SECTION("ingest") {
    Parsed p;
    p.parse({"serve-ingest"});
    CHECK(p.config.ingest.http.port == 3001);
  }
}

TEST_CASE("flag beats environment beats default", "[config]") {
  EnvGuard port("PORT", "4100");
  EnvGuard batch("NATS_BATCH_SIZE", "250");
  {
    Parsed p;
    p.parse({"run-worker"});
    CHECK(p.config.worker.http.port == 4100);
    CHECK(p.config.worker.batch_size == 250);
  }
  {
    Parsed p;
    p.parse({"run-worker", "--port", "4200", "--batch-size", "10"});
    CHECK(p.config.worker.http.port == 4200);
    CHECK(p.config.worker.batch_size == 10);
  }
}

TEST_CASE("database URL is built from its parts only when no URL is given", "[config]") {
  EnvGuard host("DATABASE_HOST", "db.internal");
  EnvGuard user("DATABASE_USER", "app");
  EnvGuard password("DATABASE_PASSWORD", "s3cret");
  {
    Parsed p;
    p.parse({"serve-analytics"});
    CHECK(p.config.analytics.db.url == "postgresql://app:s3cret@db.internal:5432/eventhub");
  }
  {
    Parsed p;
    p.parse({"serve-analytics", "--database-url", "postgresql://x@y/z"});
    CHECK(p.config.analytics.db.url == "postgresql://x@y/z");
  }
}

TEST_CASE("bad values are rejected before anything starts", "[config]") {
  CHECK_THROWS_AS(Parsed().parse({"serve-ingest", "--port", "0"}), CLI::ValidationError);
  CHECK_THROWS_AS(Parsed().parse({"serve-ingest", "--port", "abc"}), CLI::ParseError);
  CHECK_THROWS_AS(Parsed().parse({"run-worker", "--batch-size", "0"}), CLI::ValidationError);
  CHECK_THROWS_AS(Parsed().parse({"run-worker", "--db-pool-min", "20", "--db-pool-max", "5"}), ConfigError);
  CHECK_THROWS_AS(Parsed().parse({"all", "--ingest-port", "5000", "--analytics-port", "5000"}), ConfigError);
  CHECK_THROWS_AS(Parsed().parse({"serve-ingest", "--stream", "bad name"}), ConfigError);
  CHECK_THROWS_AS(Parsed().parse({"publish", "--url", "https://x/webhook/event"}), ConfigError);
  CHECK_THROWS_AS(Parsed().parse({"--log-level", "loud", "serve-ingest"}), CLI::ValidationError);
  CHECK_THROWS_AS(Parsed().parse({"no-such-command"}), CLI::ParseError);
}

TEST_CASE("`all` shares one NATS and database configuration between roles", "[config]") {
  Parsed p;
  p.parse({"all", "--nats-url", "nats://10.0.0.1:4222", "--database-url", "postgresql://u@h/d", "--host", "127.0.0.1"});
  CHECK(p.config.worker.nats.url == "nats://10.0.0.1:4222");
  CHECK(p.config.ingest.nats.url == "nats://10.0.0.1:4222");
  CHECK(p.config.analytics.db.url == "postgresql://u@h/d");
  CHECK(p.config.analytics.http.host == "127.0.0.1");
  CHECK(p.config.worker.http.port == 3004);
  CHECK(p.config.analytics.http.port == 3002);
}

TEST_CASE("secrets never reach the logs", "[config]") {
  CHECK(redact_secrets("postgresql://app:s3cret@db:5432/x") == "postgresql://app:***@db:5432/x");
  CHECK(redact_secrets("host=db password=s3cret user=app") == "host=db password=*** user=app");
  CHECK(redact_secrets("postgresql://app@db/x") == "postgresql://app@db/x");
  Parsed p;
  p.parse({"run-worker", "--database-url", "postgresql://app:s3cret@db/x", "--database-password", "pw2"});
  for (const auto& [name, value] : effective_options(*p.subs.run_worker)) {
    INFO(name << "=" << value);
    CHECK(value.find("s3cret") == std::string::npos);
    CHECK(value.find("pw2") == std::string::npos);
  }
}
