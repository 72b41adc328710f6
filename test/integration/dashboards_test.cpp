// Every Grafana dashboard query is answered by a real Prometheus scraping the real processes.
//
// Starts nats-server, PostgreSQL, the three roles as separate processes (as deployed) and the Debian
// `prometheus` binary on loopback, with compose/prometheus/prometheus.local.yml filled in (same job
// names and alert rules as the compose deployment). Sends traffic that touches every panel — good and
// bad events, a duplicate, every analytics endpoint, a bad analytics parameter — then runs
// scripts/check_dashboards.py, which evaluates each dashboard expression through Prometheus's HTTP
// API and fails on any that errors or returns nothing.

#define CATCH_CONFIG_MAIN
#include "../faults/pipeline.hpp"  // the three roles as processes + a steady load client
#include "process.hpp"
#include "temp_dir.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <iostream>
#include <sstream>

namespace eventhub::test {
namespace {

namespace fs = std::filesystem;
using faults::LoadClient;
using faults::Pipeline;

const fs::path kSource = EVENTHUB_SOURCE_DIR;

std::string read_file(const fs::path& p) {
  std::ifstream in(p);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void replace_all(std::string& text, const std::string& from, const std::string& to) {
  for (auto pos = text.find(from); pos != std::string::npos; pos = text.find(from, pos + to.size()))
    text.replace(pos, from.size(), to);
}

class Prometheus {
 public:
  Prometheus(std::uint16_t ingest, std::uint16_t worker, std::uint16_t analytics) : port_(free_port()) {
    auto config = read_file(kSource / "compose/prometheus/prometheus.local.yml");
    replace_all(config, "__INGEST_TARGET__", "127.0.0.1:" + std::to_string(ingest));
    replace_all(config, "__WORKER_TARGET__", "127.0.0.1:" + std::to_string(worker));
    replace_all(config, "__ANALYTICS_TARGET__", "127.0.0.1:" + std::to_string(analytics));
    replace_all(config, "__ALERTS_FILE__", (kSource / "compose/prometheus/alerts.yml").string());
    std::ofstream(dir_ / "prometheus.yml") << config;
    process_ = ChildProcess(ProcessOptions{
        .argv = {"prometheus", "--config.file=" + (dir_ / "prometheus.yml").string(),
                 "--storage.tsdb.path=" + (dir_ / "data").string(),
                 "--web.listen-address=127.0.0.1:" + std::to_string(port_), "--log.level=warn"},
        .log_file = dir_ / "prometheus.log"});
    wait_child_ready(process_, "prometheus", std::chrono::seconds(30),
                     [&] { return faults::get_ok(port_, "/-/ready"); });
  }
  ~Prometheus() { process_.stop(std::chrono::seconds(10)); }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  // Scrape health of every target, from Prometheus's own API.
  std::string targets() const {
    try {
      return http_get(port_, "/api/v1/targets?state=active").body;
    } catch (const HttpError& e) {
      return e.what();
    }
  }

 private:
  TempDir dir_{"eventhub-prometheus"};
  std::uint16_t port_;
  ChildProcess process_{ProcessOptions{.argv = {"true"}}};
};

// Exercises what the analytics dashboard shows: each endpoint, and a client error.
void query_analytics(std::uint16_t port) {
  for (const char* path :
       {"/analytics/stats", "/analytics/timeseries?granularity=hour", "/analytics/funnel", "/analytics/countries",
        "/analytics/campaigns/top?by=revenue", "/analytics/users/top?by=events", "/analytics/revenue"}) {
    const auto r = http_get(port, path);
    INFO(path << " -> " << r.status << " " << r.body.substr(0, 200));
    REQUIRE(r.status == 200);
  }
  REQUIRE(http_get(port, "/analytics/timeseries?granularity=week").status == 400);
}

TEST_CASE("every dashboard expression is answered by Prometheus scraping the three roles", "[dashboards]") {
  Pipeline p;
  p.start_ingest();
  const auto worker_port = free_port();
  auto worker = p.start_worker(worker_port);
  const auto analytics_port = free_port();
  auto analytics = p.start_analytics(analytics_port);
  Prometheus prometheus(p.ingest_port, worker_port, analytics_port);

  // A steady load for the rates, plus the rarer outcomes the panels break down.
  LoadClient load(p.ingest_port, "dash", /*threads=*/2, /*batch=*/20, std::chrono::milliseconds(200));
  REQUIRE(load.wait_more_acked(200, std::chrono::seconds(30)));
  const std::string one = faults::event_json("dash-dup", 1);
  REQUIRE(http_post_json(p.ingest_port, "/webhook/event", one).status == 202);
  REQUIRE(http_post_json(p.ingest_port, "/webhook/event", one).status == 202);  // a duplicate
  REQUIRE(http_post_json(p.ingest_port, "/webhook/event", R"({"eventId":"x"})").status / 100 == 4);
  REQUIRE(http_post_json(p.ingest_port, "/webhook/event", "{not json").status == 400);
  REQUIRE(wait_until(std::chrono::seconds(30), [&] { return p.rows() >= 200; }, std::chrono::milliseconds(200)));
  query_analytics(analytics_port);

  // Rates need two scrapes of a series in the window; keep traffic flowing while checking.
  const auto check = run_process(
      ProcessOptions{.argv = {"python3", (kSource / "scripts/check_dashboards.py").string(), prometheus.url(),
                              "--wait-seconds", "60", "--interval", "2", "--strict-metrics"}},
      std::chrono::minutes(3));
  load.stop();
  INFO("check_dashboards.py exit " << check.exit_status << "\n" << check.out << check.err);
  INFO("Prometheus targets: " << prometheus.targets().substr(0, 2000));
  CHECK(check.exit_status == 0);
  CHECK(check.out.find("check_dashboards: ") != std::string::npos);

  // Every role's scrape target must be up (a dashboard answered only by another role hides a gap).
  const auto targets = prometheus.targets();
  CHECK(targets.find(R"("health":"down")") == std::string::npos);
  for (const char* job : {R"("job":"ingest")", R"("job":"worker")", R"("job":"analytics")"})
    CHECK(targets.find(job) != std::string::npos);

  CHECK(worker->stop() == 0);
  CHECK(analytics->stop() == 0);
  CHECK(p.ingest->stop() == 0);
}

}  // namespace
}  // namespace eventhub::test
