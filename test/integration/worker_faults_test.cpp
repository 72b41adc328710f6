// run-worker under faults, with real nats-server + PostgreSQL: SIGKILL mid-batch then restart,
// PostgreSQL crash (immediate stop) and restart under load, nats-server restart. Every case ends
// with exactly one row per published eventId and nothing dead-lettered.
#define CATCH_CONFIG_MAIN
#include "worker_fixture.hpp"

#include <atomic>
#include <thread>

using namespace eventhub::test;
using namespace eventhub::test::worker;
using namespace std::chrono_literals;

TEST_CASE("worker SIGKILLed mid-batch, restarted: every row exactly once", "[worker][integration]") {
  Env env;
  constexpr int kTotal = 30000;
  env.js->publish_many(0, kTotal, "k-");
  const uint16_t port = free_port();
  const std::vector<std::string> flags = {"--batch-size", "1000", "--concurrency", "2000", "--ack-wait-ms", "2000"};
  auto worker = env.start_worker(port, flags);
  REQUIRE(env.wait_rows(3000, 30s));
  worker->kill9();  // batches in hand: some committed and not acked, some not committed
  const int64_t at_kill = env.rows();
  CHECK(at_kill < kTotal);
  worker = env.start_worker(port, flags);
  REQUIRE(env.wait_rows(kTotal, 40s));
  REQUIRE(wait_until(10s, [&] { return env.js->events_in_stream() == 0; }));
  CHECK(env.rows() == kTotal);
  CHECK(env.distinct_rows() == kTotal);
  CHECK(env.js->dead_letters() == 0);
  CHECK(worker->stop() == 0);
}

TEST_CASE("PostgreSQL crash and restart under load: nothing lost, nothing dead-lettered", "[worker][integration]") {
  Env env;
  const uint16_t port = free_port();
  // Ack wait 2 s and max deliver 2: if held messages were left to expire (or NAKed in a loop) during
  // the 4 s outage they would exceed two deliveries and be dead-lettered. InProgress must keep them.
  auto worker = env.start_worker(
      port, {"--batch-size", "500", "--concurrency", "1000", "--ack-wait-ms", "2000", "--max-deliver", "2"});
  constexpr int kTotal = 20000;
  std::atomic<int> published{0};
  std::thread publisher([&] {
    for (int i = 0; i < kTotal; i += 500) {
      env.js->publish_many(i, i + 500, "p-");
      published = i + 500;
      std::this_thread::sleep_for(20ms);  // a steady load, not a synchronisation
    }
  });
  REQUIRE(env.wait_rows(2000, 30s));
  env.pg.stop_immediate();
  CHECK(wait_until(10s, [&] { return !ready(port); }, 50ms));  // readiness reports it
  std::this_thread::sleep_for(4s);                                // the outage, longer than ack wait
  CHECK(worker->running());
  env.pg.start();
  publisher.join();
  REQUIRE(env.wait_rows(kTotal, 40s));
  CHECK(wait_until(15s, [&] { return ready(port); }, 100ms));
  REQUIRE(wait_until(10s, [&] { return env.js->events_in_stream() == 0; }));
  CHECK(env.rows() == kTotal);
  CHECK(env.distinct_rows() == kTotal);
  CHECK(env.js->dead_letters() == 0);
  const auto m = metrics(port);
  CHECK(metric_value(m, R"(eventhub_worker_messages_failed_total{reason="db_unavailable"})") > 0);
  CHECK(worker->stop() == 0);
}

TEST_CASE("nats-server restart: the fetch loop resumes by itself", "[worker][integration]") {
  Env env;
  const uint16_t port = free_port();
  auto worker = env.start_worker(port, {"--batch-size", "200", "--concurrency", "400"});
  env.js->publish_many(0, 1000, "n-");
  REQUIRE(env.wait_rows(1000, 20s));
  env.nats.restart();
  REQUIRE(wait_until(20s, [&] { return ready(port); }, 100ms));
  // The test's own client reconnects too; publish after the restart.
  REQUIRE(wait_until(10s, [&] { return env.js->publish("events.facebook.top", event_json("probe", "v1"), "probe"); }, 100ms));
  env.js->publish_many(1000, 3000, "n-");
  REQUIRE(env.wait_rows(3001, 30s));
  CHECK(env.distinct_rows() == 3001);
  CHECK(env.js->dead_letters() == 0);
  CHECK(worker->stop() == 0);
}
