#pragma once
// Shared by the worker integration tests: a real nats-server and PostgreSQL, a JetStream client that
// publishes test events directly (no ingest role involved), and the `eventhub run-worker` process.

#include <eventhub/common/config.hpp>
#include <eventhub/nats/connection.hpp>

#include "eventhub_process.hpp"
#include "http_client.hpp"
#include "nats_server.hpp"
#include "ports.hpp"
#include "postgres_server.hpp"
#include "wait.hpp"

#include <catch2/catch.hpp>
#include <nats/nats.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace eventhub::test::worker {

// A valid event of the contract. `variant` lands in data.user.name, so two versions of one
// eventId can be told apart in the stored row.
inline std::string event_json(const std::string& id, const std::string& variant = "v1", int n = 0) {
  const bool bottom = n % 2 == 1;
  std::string e = R"({"eventId":")" + id + R"(","timestamp":"2026-11-25T08:)" + (n % 60 < 10 ? "0" : "") +
                  std::to_string(n % 60) + R"(:00Z","source":"facebook",)";
  if (!bottom) {
    e += R"("funnelStage":"top","eventType":"ad.view","data":{"user":{"userId":"u)" + std::to_string(n % 97) +
         R"(","name":")" + variant +
         R"(","age":30,"gender":"female","location":{"country":"DE","city":"Berlin"}},"engagement":{"actionTime":"2026-11-25T08:00:00Z","referrer":"newsfeed","videoId":null}}})";
  } else {
    e += R"("funnelStage":"bottom","eventType":"ad.click","data":{"user":{"userId":"u)" + std::to_string(n % 97) +
         R"(","name":")" + variant +
         R"(","age":30,"gender":"male","location":{"country":"FR","city":"Paris"}},"engagement":{"adId":"ad1","campaignId":"cmp)" +
         std::to_string(n % 5) +
         R"(","clickPosition":"center","device":"mobile","browser":"Firefox","purchaseAmount":"12.50"}}})";
  }
  return e;
}

inline std::string subject_of(int n) { return n % 2 == 1 ? "events.facebook.bottom" : "events.facebook.top"; }

// A JetStream client of the test: provisions the streams like the roles do, publishes, inspects.
class JsClient {
 public:
  explicit JsClient(const std::string& url) {
    REQUIRE(nats_Open(-1) == NATS_OK);
    natsOptions* opts = nullptr;
    REQUIRE(natsOptions_Create(&opts) == NATS_OK);
    natsOptions_SetURL(opts, url.c_str());
    natsOptions_SetMaxReconnect(opts, -1);
    natsOptions_SetReconnectWait(opts, 100);
    natsOptions_SetRetryOnFailedConnect(opts, true, nullptr, nullptr);
    const natsStatus s = natsConnection_Connect(&conn_, opts);
    natsOptions_Destroy(opts);
    REQUIRE(s == NATS_OK);
    REQUIRE(natsConnection_JetStream(&js_, conn_, nullptr) == NATS_OK);
    config_.url = url;
    nats::ensure_streams(js_, config_);
  }
  ~JsClient() {
    if (js_) jsCtx_Destroy(js_);
    if (conn_) natsConnection_Destroy(conn_);
  }
  JsClient(const JsClient&) = delete;
  JsClient& operator=(const JsClient&) = delete;

  jsCtx* js() const { return js_; }
  const common::NatsConfig& config() const { return config_; }

  // Synchronous publish (waits for the PubAck). Returns false on a failure (e.g. NATS down).
  bool publish(const std::string& subject, const std::string& payload, const std::string& msg_id = {}) {
    jsPubOptions po;
    jsPubOptions_Init(&po);
    po.MaxWait = 5000;
    if (!msg_id.empty()) po.MsgId = msg_id.c_str();
    jsPubAck* ack = nullptr;
    const natsStatus s = js_Publish(&ack, js_, subject.c_str(), payload.data(), static_cast<int>(payload.size()), &po, nullptr);
    if (ack) jsPubAck_Destroy(ack);
    return s == NATS_OK;
  }
  // Asynchronous publish of many; waits for every PubAck.
  void publish_many(int from, int to, const std::string& prefix) {
    for (int i = from; i < to; ++i) {
      const std::string id = prefix + std::to_string(i);
      const std::string body = event_json(id, "v1", i);
      jsPubOptions po;
      jsPubOptions_Init(&po);
      po.MsgId = id.c_str();
      REQUIRE(js_PublishAsync(js_, subject_of(i).c_str(), body.data(), static_cast<int>(body.size()), &po) == NATS_OK);
    }
    jsPubOptions po;
    jsPubOptions_Init(&po);
    po.MaxWait = 30000;
    REQUIRE(js_PublishAsyncComplete(js_, &po) == NATS_OK);
  }

  uint64_t stream_msgs(const std::string& stream) {
    jsStreamInfo* si = nullptr;
    if (js_GetStreamInfo(&si, js_, stream.c_str(), nullptr, nullptr) != NATS_OK) return UINT64_MAX;
    const uint64_t n = si->State.Msgs;
    jsStreamInfo_Destroy(si);
    return n;
  }
  uint64_t events_in_stream() { return stream_msgs(config_.stream); }
  uint64_t dead_letters() { return stream_msgs(config_.dlq_stream); }

  struct ConsumerState {
    int64_t ack_pending = -1;
    uint64_t pending = 0;
    int64_t redelivered = 0;
  };
  std::optional<ConsumerState> consumer() {
    jsConsumerInfo* ci = nullptr;
    if (js_GetConsumerInfo(&ci, js_, config_.stream.c_str(), config_.consumer.c_str(), nullptr, nullptr) != NATS_OK)
      return std::nullopt;
    ConsumerState st{ci->NumAckPending, ci->NumPending, ci->NumRedelivered};
    jsConsumerInfo_Destroy(ci);
    return st;
  }

  // Reason header of every dead letter, in order.
  std::vector<std::string> dead_letter_reasons() {
    std::vector<std::string> out;
    jsStreamInfo* si = nullptr;
    if (js_GetStreamInfo(&si, js_, config_.dlq_stream.c_str(), nullptr, nullptr) != NATS_OK) return out;
    const uint64_t first = si->State.FirstSeq, last = si->State.LastSeq;
    jsStreamInfo_Destroy(si);
    for (uint64_t seq = first; seq <= last && first > 0; ++seq) {
      natsMsg* m = nullptr;
      if (js_GetMsg(&m, js_, config_.dlq_stream.c_str(), seq, nullptr, nullptr) != NATS_OK) continue;
      const char* v = nullptr;
      out.push_back(natsMsgHeader_Get(m, "Eventhub-Dlq-Reason", &v) == NATS_OK ? v : "?");
      natsMsg_Destroy(m);
    }
    return out;
  }

 private:
  natsConnection* conn_ = nullptr;
  jsCtx* js_ = nullptr;
  common::NatsConfig config_;
};

struct Env {
  NatsServer nats;
  PostgresServer pg;
  std::string db = "eventhub";
  std::unique_ptr<JsClient> js;

  Env() {
    pg.create_database(db);
    js = std::make_unique<JsClient>(nats.url());
  }

  // run-worker with small timeouts so the tests are quick; `extra` flags override.
  std::unique_ptr<EventhubProcess> start_worker(uint16_t port, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"run-worker",          "--port",           std::to_string(port),
                                     "--nats-url",          nats.url(),         "--database-url",
                                     pg.url(db),            "--db-pool-max",    "4",
                                     "--db-pool-min",       "1",                "--fetch-timeout-ms",
                                     "200",                 "--db-retry-delay-ms", "200",
                                     "--stats-interval-ms", "300"};
    args.insert(args.end(), extra.begin(), extra.end());
    auto p = std::make_unique<EventhubProcess>(args);
    p->wait_ready(port);
    return p;
  }

  int64_t rows() {
    try {
      return std::stoll(pg.query_scalar(db, "SELECT count(*) FROM events"));
    } catch (const std::exception&) {
      return -1;  // table not there yet, or the database is down
    }
  }
  int64_t distinct_rows() { return std::stoll(pg.query_scalar(db, "SELECT count(DISTINCT event_id) FROM events")); }

  bool wait_rows(int64_t n, std::chrono::milliseconds timeout) {
    return wait_until(timeout, [&] { return rows() >= n; }, std::chrono::milliseconds(100));
  }
};

inline bool ready(uint16_t port) {
  try {
    return http_get(port, "/health/readiness", std::chrono::seconds(2)).status == 200;
  } catch (const HttpError&) {
    return false;
  }
}

inline std::string metrics(uint16_t port) {
  try {
    return http_get(port, "/metrics", std::chrono::seconds(2)).body;
  } catch (const HttpError&) {
    return {};
  }
}

// Value of an unlabelled (or exactly labelled) sample in Prometheus text, -1 if absent.
inline double metric_value(const std::string& text, const std::string& sample) {
  std::size_t pos = 0;
  while ((pos = text.find(sample, pos)) != std::string::npos) {
    const bool line_start = pos == 0 || text[pos - 1] == '\n';
    const std::size_t after = pos + sample.size();
    if (line_start && after < text.size() && text[after] == ' ') return std::stod(text.substr(after + 1));
    pos = after;
  }
  return -1;
}

}  // namespace eventhub::test::worker
