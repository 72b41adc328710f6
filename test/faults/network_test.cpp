// Network faults between the roles and nats-server, injected with an in-test TCP proxy (no tc
// netem or namespaces needed): a partition that swallows traffic without closing connections, then
// heals; and added latency. The same promise is checked as in end_to_end_test.cpp: every eventId
// answered 202 is stored exactly once, nothing never sent is stored, the DLQ is empty.
#define CATCH_CONFIG_MAIN
#include "pipeline.hpp"
#include "tcp_proxy.hpp"

using namespace eventhub::test;
using namespace eventhub::test::faults;

TEST_CASE("partition between ingest and nats-server: 503 while cut off (PubAcks lost), healed: stored once",
          "[faults][network]") {
  Pipeline p;
  auto worker = p.start_worker(free_port());
  TcpProxy proxy(p.nats.port());
  p.start_ingest(proxy.nats_url(), {"--publish-timeout-ms", "1000"});
  LoadClient load(p.ingest_port, "part-ingest");
  REQUIRE(load.wait_more_acked(1500, seconds(20)));
  // Silence: publishes sent into the partition may or may not reach the broker later; their
  // PubAcks do not come back in time, so ingest answers 503 and the client retries the same events.
  proxy.blackhole(true);
  const auto unavailable_before = load.stats().unavailable_503;
  REQUIRE(wait_until(seconds(15), [&] { return load.stats().unavailable_503 >= unavailable_before + 3; },
                     milliseconds(50)));
  // Heal: queued bytes flow on (late publishes are de-duplicated by Nats-Msg-Id = eventId).
  proxy.blackhole(false);
  REQUIRE(load.wait_more_acked(1500, seconds(25)));
  // Second partition, this time the connections are dropped too (client must reconnect).
  proxy.blackhole(true);
  const auto unavailable_mid = load.stats().unavailable_503;
  REQUIRE(wait_until(seconds(15), [&] { return load.stats().unavailable_503 >= unavailable_mid + 3; },
                     milliseconds(50)));
  proxy.cut_all();
  proxy.blackhole(false);
  REQUIRE(load.wait_more_acked(1500, seconds(25)));
  load.stop();
  p.verify(load);
  // The ambiguous case really happened: publishes answered 503 reached the stream after the first
  // heal, and their retries were reported as duplicates (and stored once, per verify).
  CHECK(load.stats().duplicates > 0);
}

TEST_CASE("partition between worker and nats-server past the ack wait, healed: stored once",
          "[faults][network]") {
  Pipeline p;
  TcpProxy proxy(p.nats.port());
  WorkerOptions o;
  o.ack_wait_ms = 3000;
  o.nats_url = proxy.nats_url();
  const auto worker_port = free_port();
  auto worker = p.start_worker(worker_port, o);
  p.start_ingest();
  LoadClient load(p.ingest_port, "part-worker");
  REQUIRE(load.wait_more_acked(1500, seconds(20)));
  // The worker holds messages it may commit but whose acks cannot reach the broker.
  REQUIRE(wait_until(seconds(10), [&] {
    const auto st = stream_states(p.nats);
    return st && st->ack_pending > 0;
  }, milliseconds(2)));
  proxy.blackhole(true);
  const auto rows_cut = p.rows();
  // Longer than the ack wait (measured as load progress: ~4 s at ~1500 events/s); the backlog grows.
  REQUIRE(load.wait_more_acked(6000, seconds(30)));
  const auto st = stream_states(p.nats);
  REQUIRE(st);
  CHECK(st->events >= 3000);
  proxy.cut_all();
  proxy.blackhole(false);
  REQUIRE(load.wait_more_acked(1500, seconds(25)));
  load.stop();
  const auto rows = p.verify(load);
  CHECK(rows > rows_cut);
  CHECK(worker->running());
}

TEST_CASE("latency between every role and nats-server (30 ms per chunk): stored once", "[faults][network]") {
  Pipeline p;
  TcpProxy ingest_link(p.nats.port());
  TcpProxy worker_link(p.nats.port());
  ingest_link.set_delay(milliseconds(30));
  worker_link.set_delay(milliseconds(30));
  WorkerOptions o;
  o.nats_url = worker_link.nats_url();
  auto worker = p.start_worker(free_port(), o);
  p.start_ingest(ingest_link.nats_url());
  LoadClient load(p.ingest_port, "latency");
  REQUIRE(load.wait_more_acked(3000, seconds(30)));
  load.stop();
  p.verify(load);
}
