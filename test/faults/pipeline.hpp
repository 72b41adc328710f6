#pragma once
// The whole pipeline as separate processes for fault tests: a real nats-server, a real PostgreSQL,
// and `eventhub serve-ingest`, `run-worker` (one or more) and `serve-analytics` on free loopback
// ports. A LoadClient posts batches of unique events to ingest from a few threads, retries 429/503
// (honouring Retry-After) and transport errors with the same body, and records every eventId the
// ingest acknowledged (202 minus `rejected`) and every eventId it ever sent. `verify()` waits until
// the EVENTS work queue is drained and then checks the promise: every acknowledged eventId is in
// `events` exactly once, nothing there that was never sent, the DLQ is empty; then it waits until the
// workers' compactors folded every stored event into the analytics rollups and runs `eventhub rollup
// verify`, so every fault also proves the rollups exact (nothing folded twice, nothing lost).

#include "eventhub_process.hpp"
#include "http_client.hpp"
#include "nats_server.hpp"
#include "ports.hpp"
#include "postgres_server.hpp"
#include "wait.hpp"

#include <catch2/catch.hpp>

#include <boost/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

namespace eventhub::test::faults {

namespace json = boost::json;
using std::chrono::milliseconds;
using std::chrono::seconds;

// A valid contract event; alternates facebook/tiktok and top/bottom by n.
inline std::string event_json(const std::string& id, std::uint64_t n) {
  const std::string ts = "2026-11-25T09:" + std::string(n % 60 < 10 ? "0" : "") + std::to_string(n % 60) + ":00Z";
  const std::string user = "u" + std::to_string(n % 101);
  switch (n % 4) {
    case 0:
      return R"({"eventId":")" + id + R"(","timestamp":")" + ts +
             R"(","source":"facebook","funnelStage":"top","eventType":"ad.view","data":{"user":{"userId":")" + user +
             R"(","name":"Ann","age":30,"gender":"female","location":{"country":"DE","city":"Berlin"}},)"
             R"("engagement":{"actionTime":"2026-11-25T09:00:00Z","referrer":"newsfeed","videoId":null}}})";
    case 1:
      return R"({"eventId":")" + id + R"(","timestamp":")" + ts +
             R"(","source":"facebook","funnelStage":"bottom","eventType":"checkout.complete","data":{"user":{"userId":")" +
             user +
             R"(","name":"Bob","age":41,"gender":"male","location":{"country":"FR","city":"Paris"}},)"
             R"("engagement":{"adId":"a1","campaignId":"c)" +
             std::to_string(n % 7) +
             R"(","clickPosition":"center","device":"mobile","browser":"Chrome","purchaseAmount":"12.50"}}})";
    case 2:
      return R"({"eventId":")" + id + R"(","timestamp":")" + ts +
             R"(","source":"tiktok","funnelStage":"top","eventType":"like","data":{"user":{"userId":")" + user +
             R"(","username":"tina","followers":3},)"
             R"("engagement":{"watchTime":1.5,"percentageWatched":50,"device":"iOS","country":"US","videoId":"v"}}})";
    default:
      return R"({"eventId":")" + id + R"(","timestamp":")" + ts +
             R"(","source":"tiktok","funnelStage":"bottom","eventType":"purchase","data":{"user":{"userId":")" + user +
             R"(","username":"tom","followers":9},)"
             R"("engagement":{"actionTime":"2026-11-25T09:00:00Z","profileId":null,"purchasedItem":"hat","purchaseAmount":"3.10"}}})";
  }
}

inline bool get_ok(std::uint16_t port, const std::string& path) {
  try {
    return http_get(port, path, seconds(2)).status == 200;
  } catch (const HttpError&) {
    return false;
  }
}

// From the NATS monitoring endpoint (independent of cnats and of the roles).
struct StreamStates {
  std::int64_t events = -1;  // messages in EVENTS (work queue: acked ones are removed)
  std::int64_t dlq = -1;     // messages in EVENTS_DLQ (-1 = stream not there)
  // Redeliveries so far: a consumer's delivered.consumer_seq counts every delivery, while
  // delivered.stream_seq is the highest stream sequence delivered (each message once).
  std::int64_t redelivered = 0;
  std::int64_t ack_pending = 0;
};
inline std::optional<StreamStates> stream_states(const NatsServer& nats) {
  try {
    auto r = http_get(nats.monitor_port(), "/jsz?streams=true&consumers=true", seconds(2));
    if (r.status != 200) return std::nullopt;
    StreamStates st;
    auto v = json::parse(r.body);
    const auto* accounts = v.as_object().if_contains("account_details");
    if (accounts == nullptr) return st;
    for (const auto& account : accounts->as_array()) {
      const auto* details = account.as_object().if_contains("stream_detail");
      if (details == nullptr) continue;
      for (const auto& s : details->as_array()) {
        const auto msgs = s.at("state").at("messages").to_number<std::int64_t>();
        if (s.at("name").as_string() == "EVENTS") {
          st.events = msgs;
          if (const auto* cs = s.as_object().if_contains("consumer_detail")) {
            for (const auto& c : cs->as_array()) {
              if (const auto* d = c.as_object().if_contains("delivered"))
                st.redelivered += d->at("consumer_seq").to_number<std::int64_t>() -
                                  d->at("stream_seq").to_number<std::int64_t>();
              if (const auto* ap = c.as_object().if_contains("num_ack_pending"))
                st.ack_pending += ap->to_number<std::int64_t>();
            }
          }
        }
        if (s.at("name").as_string() == "EVENTS_DLQ") st.dlq = msgs;
      }
    }
    return st;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

// Posts batches of `batch` unique events from `threads` threads until stop(), each thread pausing
// `pause` between answered requests: a steady load (~1500 events/s with the defaults), not a benchmark.
class LoadClient {
 public:
  struct Stats {
    std::uint64_t requests = 0, accepted_202 = 0, busy_429 = 0, unavailable_503 = 0, transport_errors = 0,
                  unexpected = 0;
    std::string last_unexpected;
    // Transport errors after the connection was made: sent, but no answer came back.
    std::uint64_t dropped = 0;
    // Sum of the 202 bodies' "duplicates": resent events the stream already had.
    std::uint64_t duplicates = 0;
    std::string last_dropped;
  };

  LoadClient(std::uint16_t port, std::string prefix, int threads = 3, int batch = 50,
             milliseconds pause = milliseconds(100))
      : port_(port), prefix_(std::move(prefix)), batch_(batch), pause_(pause) {
    for (int t = 0; t < threads; ++t) threads_.emplace_back([this, t] { run(t); });
  }
  ~LoadClient() { stop(); }
  LoadClient(const LoadClient&) = delete;
  LoadClient& operator=(const LoadClient&) = delete;

  void set_port(std::uint16_t port) { port_ = port; }
  // Requests sent and not answered yet (client side).
  int in_flight() const { return in_flight_.load(); }
  void stop() {
    stop_ = true;
    for (auto& t : threads_)
      if (t.joinable()) t.join();
  }
  std::size_t acked_count() const {
    std::lock_guard lock(mu_);
    return acked_.size();
  }
  std::unordered_set<std::string> acked() const {
    std::lock_guard lock(mu_);
    return acked_;
  }
  std::unordered_set<std::string> sent() const {
    std::lock_guard lock(mu_);
    return sent_;
  }
  Stats stats() const {
    std::lock_guard lock(mu_);
    return stats_;
  }
  // Waits until `n` more events than now were acknowledged.
  bool wait_more_acked(std::size_t n, milliseconds timeout) {
    const auto target = acked_count() + n;
    return wait_until(timeout, [&] { return acked_count() >= target; }, milliseconds(20));
  }

 private:
  void sleep_unless_stopped(milliseconds d) {
    const auto until = std::chrono::steady_clock::now() + d;
    while (!stop_ && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(milliseconds(10));
  }

  void run(int t) {
    std::uint64_t seq = 0;
    while (!stop_) {
      std::vector<std::string> ids;
      std::string body = "[";
      for (int i = 0; i < batch_; ++i, ++seq) {
        ids.push_back(prefix_ + "-t" + std::to_string(t) + "-" + std::to_string(seq));
        body += (i ? "," : "") + event_json(ids.back(), seq);
      }
      body += "]";
      {
        std::lock_guard lock(mu_);
        sent_.insert(ids.begin(), ids.end());
      }
      // The same body until it is answered 202 (or we are told to stop).
      while (!stop_) {
        HttpResponse r;
        try {
          ++in_flight_;
          struct Done {
            std::atomic<int>& n;
            ~Done() { --n; }
          } done{in_flight_};
          r = http_post_json(port_.load(), "/webhook/event", body, {}, seconds(10));
        } catch (const HttpError& e) {
          {
            std::lock_guard lock(mu_);
            ++stats_.requests;
            ++stats_.transport_errors;
            // Refused, or reset in the handshake as a listener closed: the request was never sent.
            if (std::string_view(e.what()).find(": connect: ") == std::string_view::npos) {
              ++stats_.dropped;
              stats_.last_dropped = e.what();
            }
          }
          sleep_unless_stopped(milliseconds(100));
          continue;
        }
        std::lock_guard lock(mu_);
        ++stats_.requests;
        if (r.status == 202) {
          ++stats_.accepted_202;
          std::vector<bool> rejected(ids.size(), false);
          try {
            auto v = json::parse(r.body);
            stats_.duplicates += static_cast<std::uint64_t>(v.at("duplicates").to_number<std::int64_t>());
            for (const auto& rej : v.at("rejected").as_array())
              rejected.at(static_cast<std::size_t>(rej.at("index").to_number<std::int64_t>())) = true;
          } catch (const std::exception& e) {
            ++stats_.unexpected;
            stats_.last_unexpected = std::string("unparsable 202 body: ") + e.what();
          }
          for (std::size_t i = 0; i < ids.size(); ++i)
            if (!rejected[i]) acked_.insert(ids[i]);
          break;
        }
        if (r.status == 429 || r.status == 503) {
          (r.status == 429 ? stats_.busy_429 : stats_.unavailable_503)++;
          if (!r.header("Retry-After")) {
            ++stats_.unexpected;
            stats_.last_unexpected = std::to_string(r.status) + " without Retry-After";
          }
          long retry_after = 1;
          try {
            retry_after = std::stol(r.header("Retry-After").value_or("1"));
          } catch (const std::exception&) {
          }
          mu_.unlock();
          sleep_unless_stopped(seconds(std::max(1L, std::min(retry_after, 5L))));
          mu_.lock();
          continue;
        }
        ++stats_.unexpected;
        stats_.last_unexpected = std::to_string(r.status) + " " + r.body.substr(0, 300);
        break;
      }
      sleep_unless_stopped(pause_);
    }
  }

  std::atomic<std::uint16_t> port_;
  std::string prefix_;
  int batch_;
  milliseconds pause_;
  std::atomic<bool> stop_{false};
  std::atomic<int> in_flight_{0};
  mutable std::mutex mu_;
  std::unordered_set<std::string> acked_;
  std::unordered_set<std::string> sent_;
  Stats stats_;
  std::vector<std::thread> threads_;
};

// `defaults` with `extra` applied: "--flag value" pairs in `extra` replace the value of the same
// flag in `defaults` (the CLI refuses a flag given twice), other items are appended.
inline std::vector<std::string> merge_args(std::vector<std::string> defaults, const std::vector<std::string>& extra) {
  for (std::size_t i = 0; i < extra.size(); ++i) {
    const bool has_value = i + 1 < extra.size() && extra[i + 1].rfind("--", 0) != 0;
    auto it = std::find(defaults.begin(), defaults.end(), extra[i]);
    if (has_value && it != defaults.end() && it + 1 != defaults.end()) {
      *(it + 1) = extra[++i];
      continue;
    }
    defaults.push_back(extra[i]);
    if (has_value) defaults.push_back(extra[++i]);
  }
  return defaults;
}

struct WorkerOptions {
  int batch_size = 200;
  int ack_wait_ms = 4000;
  std::vector<std::string> extra;
  std::string nats_url;  // empty = the broker directly
};

// nats-server + PostgreSQL + the roles as separate processes.
class Pipeline {
 public:
  Pipeline() { pg.create_database(db); }

  NatsServer nats;
  PostgresServer pg;
  std::string db = "eventhub";

  std::uint16_t ingest_port = 0;
  std::unique_ptr<EventhubProcess> ingest;

  // `nats_url` empty = the broker directly (tests may put a TcpProxy in between); `extra` flags
  // override the defaults.
  std::unique_ptr<EventhubProcess> start_ingest(std::uint16_t port, const std::string& nats_url = {},
                                                std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"serve-ingest", "--host", "127.0.0.1", "--port", std::to_string(port),
                                     "--nats-url", nats_url.empty() ? nats.url() : nats_url,
                                     "--retry-after", "1", "--publish-timeout-ms", "2000",
                                     "--nats-connect-timeout-ms", "500"};
    auto p = std::make_unique<EventhubProcess>(merge_args(std::move(args), extra));
    p->wait_ready(port, seconds(20), "/health/readiness");
    return p;
  }
  void start_ingest(const std::string& nats_url = {}, std::vector<std::string> extra = {}) {
    ingest_port = free_port();
    ingest = start_ingest(ingest_port, nats_url, std::move(extra));
  }

  std::unique_ptr<EventhubProcess> start_worker(std::uint16_t port, const WorkerOptions& o = {}) {
    std::vector<std::string> args = {"run-worker", "--host", "127.0.0.1", "--port", std::to_string(port),
                                     "--nats-url", o.nats_url.empty() ? nats.url() : o.nats_url, "--database-url", pg.url(db),
                                     "--db-pool-max", "4", "--db-pool-min", "1",
                                     "--batch-size", std::to_string(o.batch_size),
                                     "--ack-wait-ms", std::to_string(o.ack_wait_ms),
                                     "--fetch-timeout-ms", "200", "--db-retry-delay-ms", "200",
                                     "--db-connect-timeout-ms", "1000", "--nats-connect-timeout-ms", "500",
                                     "--stats-interval-ms", "500"};
    auto p = std::make_unique<EventhubProcess>(merge_args(std::move(args), o.extra));
    p->wait_ready(port, seconds(20), "/health/readiness");
    return p;
  }

  std::unique_ptr<EventhubProcess> start_analytics(std::uint16_t port) {
    auto p = std::make_unique<EventhubProcess>(std::vector<std::string>{
        "serve-analytics", "--host", "127.0.0.1", "--port", std::to_string(port), "--database-url", pg.url(db),
        "--db-pool-max", "4", "--db-pool-min", "1", "--query-threads", "2"});
    p->wait_ready(port, seconds(20), "/health/readiness");
    return p;
  }

  std::int64_t rows() {
    try {
      return std::stoll(pg.query_scalar(db, "SELECT count(*) FROM events"));
    } catch (const std::exception&) {
      return -1;
    }
  }

  // Every stored event folded by a compactor (none with tx at or above the watermark), and the
  // rollups equal a recomputation from the stored rows.
  void check_rollups(std::int64_t rows_now, milliseconds timeout = seconds(30)) {
    const auto unfolded = [&]() -> std::int64_t {
      try {
        return std::stoll(pg.query_scalar(db, "SELECT count(*) FROM events e, rollup_state s WHERE e.tx >= s.folded_below"));
      } catch (const std::exception&) {
        return -1;
      }
    };
    const bool folded = wait_until(timeout, [&] { return unfolded() == 0; }, milliseconds(200));
    INFO("events not folded into the rollups yet: " << unfolded() << " of " << rows_now);
    CHECK(folded);
    EventhubProcess check({"rollup", "verify", "--database-url", pg.url(db), "--progress", "none", "--log-level", "warn"});
    const auto rc = check.wait_exit(seconds(60));
    INFO("rollup verify output: " << check.log_tail());
    CHECK(rc == 0);
    CHECK(std::stoll(pg.query_scalar(db, "SELECT COALESCE(sum(events), 0) FROM rollup_buckets"
                                         " WHERE grain = 1 AND source = '' AND funnel_stage = '' AND event_type = ''")) ==
          rows_now);
  }

  // Waits until the work queue is empty (every message persisted and acked), then checks the
  // promise for everything `load` recorded. Returns the number of rows.
  std::int64_t verify(const LoadClient& load, milliseconds timeout = seconds(45)) {
    const auto stats = load.stats();
    INFO("requests " << stats.requests << ", 202 " << stats.accepted_202 << ", 429 " << stats.busy_429 << ", 503 "
                     << stats.unavailable_503 << ", transport errors " << stats.transport_errors << ", unexpected "
                     << stats.unexpected << " (" << stats.last_unexpected << ")");
    CHECK(stats.unexpected == 0);
    const auto acked = load.acked();
    const auto sent = load.sent();
    REQUIRE(!acked.empty());
    const bool drained = wait_until(
        timeout,
        [&] {
          const auto st = stream_states(nats);
          return st && st->events == 0 && rows() >= static_cast<std::int64_t>(acked.size());
        },
        milliseconds(200));
    INFO("stream EVENTS " << (stream_states(nats) ? stream_states(nats)->events : -2) << " messages, rows " << rows()
                          << ", acknowledged " << acked.size());
    CHECK(drained);

    const auto rows_now = pg.query_rows(db, "SELECT event_id FROM events");
    std::unordered_set<std::string> stored;
    std::size_t null_ids = 0, not_sent = 0, missing = 0;
    std::string example_missing, example_surprise;
    for (const auto& r : rows_now) {
      if (!r.at(0)) {
        ++null_ids;
        continue;
      }
      stored.insert(*r.at(0));
      if (!sent.count(*r.at(0))) {
        ++not_sent;
        example_surprise = *r.at(0);
      }
    }
    for (const auto& id : acked)
      if (!stored.count(id)) {
        ++missing;
        example_missing = id;
      }
    INFO("missing e.g. " << example_missing << "; never sent e.g. " << example_surprise);
    CHECK(null_ids == 0);
    CHECK(missing == 0);                          // every acknowledged event is stored
    CHECK(stored.size() == rows_now.size());      // ... exactly once
    CHECK(pg.query_scalar(db, "SELECT count(*) = count(DISTINCT event_id) FROM events") == "t");
    CHECK(not_sent == 0);                         // nothing we did not send
    CHECK(rows_now.size() <= sent.size());
    const auto st = stream_states(nats);
    REQUIRE(st);
    CHECK(st->dlq == 0);                          // nothing dead-lettered
    check_rollups(static_cast<std::int64_t>(rows_now.size()));
    WARN("acknowledged " << acked.size() << ", sent " << sent.size() << ", rows " << rows_now.size()
                         << ", redeliveries " << st->redelivered << "; requests " << stats.requests << " (202 "
                         << stats.accepted_202 << ", 429 " << stats.busy_429 << ", 503 " << stats.unavailable_503
                         << ", duplicates reported " << stats.duplicates << ", transport errors " << stats.transport_errors << " of which not refused "
                         << stats.dropped << (stats.dropped ? " e.g. " + stats.last_dropped : std::string()) << ")");
    return static_cast<std::int64_t>(rows_now.size());
  }
};

}  // namespace eventhub::test::faults
