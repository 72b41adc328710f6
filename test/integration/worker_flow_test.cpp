// run-worker with real nats-server + PostgreSQL: exactly one row per eventId through resends
// (first version wins), poison messages dead-lettered while later events keep flowing, the
// `dlq list` / `dlq replay` round trip, and the SIGTERM drain.
#define CATCH_CONFIG_MAIN
#include "worker_fixture.hpp"

#include <eventhub/nats/consumer.hpp>

#include <algorithm>
#include <csignal>
#include <thread>

using namespace eventhub::test;
using namespace eventhub::test::worker;
using namespace std::chrono_literals;

TEST_CASE("resent events are stored once, the first version wins", "[worker][integration]") {
  Env env;
  // Same eventId published twice with different Nats-Msg-Id (so JetStream keeps both), different
  // payloads: once inside one batch (published before the worker starts) ...
  REQUIRE(env.js->publish("events.facebook.top", event_json("same-batch", "first"), "m1"));
  REQUIRE(env.js->publish("events.facebook.top", event_json("same-batch", "second"), "m2"));
  env.js->publish_many(0, 500, "bulk-");
  const uint16_t port = free_port();
  // One writer (concurrency == batch): batches are taken in stream order, so "first" is the first
  // published. With several writers or replicas, "first" is the first committed; never overwritten.
  auto worker = env.start_worker(port, {"--batch-size", "100", "--concurrency", "100"});
  REQUIRE(env.wait_rows(501, 20s));

  // ... and across batches, after the first one is stored.
  REQUIRE(env.js->publish("events.facebook.top", event_json("same-batch", "third"), "m3"));
  REQUIRE(env.js->publish("events.facebook.top", event_json("bulk-7", "late-resend", 7), "bulk-7-again"));
  env.js->publish_many(500, 600, "bulk-");
  REQUIRE(env.wait_rows(601, 20s));
  REQUIRE(wait_until(10s, [&] { return env.js->events_in_stream() == 0; }));

  CHECK(env.rows() == 601);
  CHECK(env.distinct_rows() == 601);
  CHECK(env.pg.query_scalar(env.db, "SELECT data->'user'->>'name' FROM events WHERE event_id = 'same-batch'") ==
        "first");
  CHECK(env.pg.query_scalar(env.db, "SELECT data->'user'->>'name' FROM events WHERE event_id = 'bulk-7'") == "v1");
  // Typed columns extracted at write time.
  CHECK(env.pg.query_scalar(env.db,
                            "SELECT count(*) FROM events WHERE funnel_stage = 'bottom' AND purchase_amount = 12.5 "
                            "AND campaign_id IS NOT NULL AND country = 'FR'") == "300");
  CHECK(env.js->dead_letters() == 0);

  // Every message acked: persisted + duplicates == received.
  REQUIRE(wait_until(5s, [&] {
    const auto m = metrics(port);
    return metric_value(m, "eventhub_worker_messages_received_total") == 604 &&
           metric_value(m, "eventhub_worker_inflight_messages") == 0;
  }));
  const auto m = metrics(port);
  CHECK(metric_value(m, "eventhub_worker_messages_persisted_total") == 601);
  CHECK(metric_value(m, "eventhub_worker_messages_duplicate_total") == 3);
  CHECK(worker->stop() == 0);
}

TEST_CASE("poison messages go to the DLQ with their reason while later events keep flowing", "[worker][integration]") {
  Env env;
  const uint16_t port = free_port();
  auto worker = env.start_worker(port, {"--batch-size", "50", "--concurrency", "50"});
  // The database rejects this one id (a data error inside an otherwise good batch: the batch is
  // split until the bad row is alone).
  REQUIRE(wait_until(10s, [&] { return env.rows() >= 0; }, 100ms));
  env.pg.exec(env.db, "ALTER TABLE events ADD CONSTRAINT test_no_poison CHECK (event_id NOT LIKE 'poison-%')");

  env.js->publish_many(0, 40, "a-");
  REQUIRE(env.js->publish("events.facebook.top", "{not json", "bad-json"));
  REQUIRE(env.js->publish("events.facebook.top", R"({"eventId":"x","source":"myspace"})", "bad-event"));
  REQUIRE(env.js->publish("events.facebook.top", event_json("poison-1", "v1"), "poison-1"));
  env.js->publish_many(40, 100, "a-");

  REQUIRE(env.wait_rows(100, 20s));
  REQUIRE(wait_until(10s, [&] { return env.js->dead_letters() == 3; }, 50ms));
  auto reasons = env.js->dead_letter_reasons();
  std::sort(reasons.begin(), reasons.end());
  CHECK(reasons == std::vector<std::string>{"db_rejected", "invalid_event", "invalid_json"});
  REQUIRE(wait_until(10s, [&] { return env.js->events_in_stream() == 0; }));  // terminated, not redelivered
  CHECK(env.rows() == 100);
  const auto m = metrics(port);
  CHECK(metric_value(m, R"(eventhub_worker_messages_dead_lettered_total{reason="invalid_json"})") == 1);
  CHECK(metric_value(m, R"(eventhub_worker_messages_dead_lettered_total{reason="db_rejected"})") == 1);

  // dlq list: read-only, one line per dead letter, filter by reason.
  const std::vector<std::string> nats_args = {"--nats-url", env.nats.url()};
  auto args = std::vector<std::string>{"dlq", "list"};
  args.insert(args.end(), nats_args.begin(), nats_args.end());
  auto list = EventhubProcess::run(args);
  INFO(list.err);
  CHECK(list.exit_status == 0);
  CHECK(std::count(list.out.begin(), list.out.end(), '\n') == 3);
  CHECK(list.out.find("invalid_json") != std::string::npos);
  CHECK(list.out.find("{not json") != std::string::npos);
  CHECK(list.out.find("events.facebook.top") != std::string::npos);
  args.insert(args.end(), {"--reason", "db_rejected"});
  list = EventhubProcess::run(args);
  CHECK(list.exit_status == 0);
  CHECK(std::count(list.out.begin(), list.out.end(), '\n') == 1);
  CHECK(list.out.find("poison-1") != std::string::npos);
  CHECK(env.js->dead_letters() == 3);

  // Fix the cause, dry-run (changes nothing), then replay everything: the fixed event is stored,
  // the two that can never be stored are dead-lettered again (honestly, with their reasons).
  env.pg.exec(env.db, "ALTER TABLE events DROP CONSTRAINT test_no_poison");
  auto dry = EventhubProcess::run({"dlq", "replay", "--dry-run", "--nats-url", env.nats.url()});
  CHECK(dry.exit_status == 0);
  CHECK(std::count(dry.out.begin(), dry.out.end(), '\n') == 3);
  CHECK(env.js->dead_letters() == 3);
  CHECK(env.rows() == 100);

  auto replay = EventhubProcess::run({"dlq", "replay", "--nats-url", env.nats.url()});
  INFO(replay.err);
  CHECK(replay.exit_status == 0);
  CHECK(std::count(replay.out.begin(), replay.out.end(), '\n') == 3);
  REQUIRE(env.wait_rows(101, 20s));
  CHECK(env.pg.query_scalar(env.db, "SELECT count(*) FROM events WHERE event_id = 'poison-1'") == "1");
  REQUIRE(wait_until(10s, [&] { return env.js->dead_letters() == 2; }, 50ms));
  reasons = env.js->dead_letter_reasons();
  std::sort(reasons.begin(), reasons.end());
  CHECK(reasons == std::vector<std::string>{"invalid_event", "invalid_json"});
  CHECK(worker->stop() == 0);

  // NATS unreachable: exit 1 with one line.
  env.nats.stop();
  auto down = EventhubProcess::run({"dlq", "list", "--nats-url", env.nats.url()});
  CHECK(down.exit_status == 1);
  CHECK(down.err.find("NATS unreachable") != std::string::npos);
}

TEST_CASE("SIGTERM drains: the batch in hand is committed and acked, exit 0", "[worker][integration]") {
  Env env;
  env.js->publish_many(0, 20000, "d-");
  const uint16_t port = free_port();
  auto worker = env.start_worker(port, {"--batch-size", "1000", "--concurrency", "2000"});
  REQUIRE(env.wait_rows(1, 20s));
  REQUIRE(worker->signal(SIGTERM));
  const auto status = worker->wait_exit(30s);
  INFO(worker->log_tail());
  REQUIRE(status.has_value());
  CHECK(*status == 0);
  // Nothing left half-done: no message is still pending an ack, and every message that left the
  // stream (acked) has its row.
  const auto consumer = env.js->consumer();
  REQUIRE(consumer.has_value());
  CHECK(consumer->ack_pending == 0);
  CHECK(wait_until(5s, [&] { return env.rows() + static_cast<int64_t>(env.js->events_in_stream()) == 20000; }));
  // A new worker finishes the rest, exactly once.
  auto again = env.start_worker(port, {"--batch-size", "1000", "--concurrency", "2000"});
  REQUIRE(env.wait_rows(20000, 30s));
  CHECK(env.distinct_rows() == 20000);
  CHECK(again->stop() == 0);
}

TEST_CASE("a message delivered more than --max-deliver times is dead-lettered by the worker", "[worker][integration]") {
  Env env;
  // Provision the worker's consumer and take the message twice ourselves without acking it (as a
  // crashing worker would), so its next delivery is the third.
  eventhub::nats::PullConsumerSettings settings;
  eventhub::nats::ensure_pull_consumer(env.js->js(), env.js->config(), settings);
  REQUIRE(env.js->publish("events.facebook.top", event_json("redelivered", "v1"), "redelivered"));
  natsSubscription* sub = eventhub::nats::bind_pull_subscription(env.js->js(), env.js->config());
  for (int i = 0; i < 2; ++i) {
    natsMsgList list{};
    REQUIRE(natsSubscription_Fetch(&list, sub, 1, 5000, nullptr) == NATS_OK);
    REQUIRE(list.Count == 1);
    REQUIRE(natsMsg_Nak(list.Msgs[0], nullptr) == NATS_OK);
    natsMsgList_Destroy(&list);
  }
  natsSubscription_Destroy(sub);
  env.js->publish_many(0, 10, "ok-");

  const uint16_t port = free_port();
  auto worker = env.start_worker(port, {"--batch-size", "20", "--concurrency", "20", "--max-deliver", "2"});
  REQUIRE(env.wait_rows(10, 20s));
  REQUIRE(wait_until(10s, [&] { return env.js->dead_letters() == 1; }, 50ms));
  CHECK(env.js->dead_letter_reasons() == std::vector<std::string>{"max_deliveries"});
  CHECK(env.rows() == 10);
  auto list = EventhubProcess::run({"dlq", "list", "--nats-url", env.nats.url()});
  CHECK(list.out.find("deliveries=3") != std::string::npos);
  CHECK(worker->stop() == 0);
}
