// serve-ingest against a real nats-server: single, batch, mixed valid/invalid, every error code of
// the contract, gzip and the gzip bomb, resend stored once (stream message count from the NATS
// monitoring endpoint, stored message read back with cnats), in-flight limit (429), broker killed
// (503 + Retry-After, readiness 503) and restarted (recovers), API keys / HMAC, /api, /api-json,
// /metrics, health. Every POST /webhook/event answer is also checked against the served OpenAPI doc.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>

#include "eventhub_process.hpp"
#include "http_client.hpp"
#include "nats_server.hpp"
#include "payloads.hpp"
#include "ports.hpp"
#include "wait.hpp"

#include <eventhub/ingest/auth.hpp>

#include <boost/json.hpp>
#include <nats/nats.h>
#include <signal.h>

#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <thread>

using namespace eventhub::test;
namespace json = boost::json;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

std::string tiktok_event(const std::string& id, const std::string& extra = "") {
  return R"({"eventId":")" + id + R"(","timestamp":"2026-01-31T12:00:00Z","source":"tiktok","funnelStage":"top",)"
         R"("eventType":"like",)" + extra +
         R"("data":{"user":{"userId":"t1","username":"tina","followers":3},)"
         R"("engagement":{"watchTime":1.5,"percentageWatched":50,"device":"iOS","country":"US","videoId":"v"}}})";
}
std::string facebook_event(const std::string& id) {
  return R"({"eventId":")" + id + R"(","timestamp":"2026-01-31T12:00:00+01:00","source":"facebook",)"
         R"("funnelStage":"bottom","eventType":"checkout.complete","data":{"user":{"userId":"u1","name":"Ann",)"
         R"("age":31,"gender":"female","location":{"country":"DE","city":"Berlin"}},"engagement":{"adId":"a",)"
         R"("campaignId":"c1","clickPosition":"center","device":"mobile","browser":"Chrome","purchaseAmount":"9.99"}}})";
}


// Messages in a stream, from the NATS monitoring endpoint.
int64_t stream_messages(const NatsServer& nats, const std::string& stream = "EVENTS") {
  auto r = http_get(nats.monitor_port(), "/jsz?streams=1");
  REQUIRE(r.status == 200);
  auto v = json::parse(r.body);
  for (const auto& account : v.at("account_details").as_array()) {
    if (const auto* details = account.as_object().if_contains("stream_detail")) {
      for (const auto& s : details->as_array())
        if (s.at("name").as_string() == stream) return s.at("state").at("messages").as_int64();
    }
  }
  return -1;
}

// A metric sample value from /metrics text ("name{labels} value"); -1 when absent.
double metric(uint16_t port, const std::string& series) {
  auto r = http_get(port, "/metrics");
  REQUIRE(r.status == 200);
  std::size_t pos = 0;
  while ((pos = r.body.find(series, pos)) != std::string::npos) {
    if ((pos == 0 || r.body[pos - 1] == '\n') && r.body.size() > pos + series.size() && r.body[pos + series.size()] == ' ')
      return std::stod(r.body.substr(pos + series.size() + 1));
    pos += series.size();
  }
  return -1;
}

// Checks an answer of POST /webhook/event against the served OpenAPI document: the status is
// documented for the route, and a JSON body has the documented required properties.
class OpenApiChecker {
 public:
  explicit OpenApiChecker(uint16_t port) {
    auto r = http_get(port, "/api-json");
    REQUIRE(r.status == 200);
    doc_ = json::parse(r.body);
  }
  void check(const HttpResponse& res) const {
    INFO("status " << res.status << " body " << res.body);
    const auto& responses = doc_.at("paths").at("/webhook/event").at("post").at("responses").as_object();
    const auto* documented = responses.if_contains(std::to_string(res.status));
    REQUIRE(documented != nullptr);
    const json::value* response = resolve(*documented);
    const auto& content = response->at("content").as_object();
    REQUIRE(content.contains("application/json"));
    const json::value* schema = resolve(content.at("application/json").at("schema"));
    const auto body = json::parse(res.body).as_object();
    for (const auto& name : schema->at("required").as_array()) {
      INFO("required property " << name.as_string().c_str());
      CHECK(body.contains(name.as_string()));
    }
    if (const auto* headers = response->as_object().if_contains("headers")) {
      for (const auto& h : headers->as_object()) {
        INFO("documented header " << h.key());
        CHECK(res.header(std::string(h.key())).has_value());
      }
    }
  }

 private:
  const json::value* resolve(const json::value& v) const {
    const auto* o = v.if_object();
    if (o == nullptr || !o->contains("$ref")) return &v;
    std::string_view ref = o->at("$ref").as_string();
    REQUIRE(ref.substr(0, 2) == "#/");
    ref.remove_prefix(2);
    const json::value* cur = &doc_;
    while (!ref.empty()) {
      const auto slash = ref.find('/');
      cur = &cur->at(ref.substr(0, slash));
      ref = slash == std::string_view::npos ? std::string_view{} : ref.substr(slash + 1);
    }
    return cur;
  }
  json::value doc_;
};

struct Ingest {
  explicit Ingest(const NatsServer& nats, std::vector<std::string> extra = {})
      : port(free_port()), process(args(nats, port, std::move(extra))) {
    process.wait_ready(port);
  }
  static std::vector<std::string> args(const NatsServer& nats, uint16_t port, std::vector<std::string> extra) {
    std::vector<std::string> a = {"serve-ingest", "--host", "127.0.0.1", "--port", std::to_string(port),
                                  "--nats-url", nats.url()};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }
  bool ready() const { return http_get(port, "/health/readiness").status == 200; }
  HttpResponse post(std::string_view body, const HttpHeaders& headers = {}) const {
    return http_post_json(port, "/webhook/event", body, headers);
  }
  uint16_t port;
  EventhubProcess process;
};

// Reads message `seq` of stream EVENTS with cnats: its Nats-Msg-Id header and payload.
std::pair<std::string, std::string> stored_message(const NatsServer& nats, uint64_t seq) {
  natsConnection* nc = nullptr;
  REQUIRE(natsConnection_ConnectTo(&nc, nats.url().c_str()) == NATS_OK);
  jsCtx* js = nullptr;
  REQUIRE(natsConnection_JetStream(&js, nc, nullptr) == NATS_OK);
  natsMsg* msg = nullptr;
  REQUIRE(js_GetMsg(&msg, js, "EVENTS", seq, nullptr, nullptr) == NATS_OK);
  const char* id = nullptr;
  natsMsgHeader_Get(msg, "Nats-Msg-Id", &id);
  std::pair<std::string, std::string> out{id ? id : "", std::string(natsMsg_GetData(msg), natsMsg_GetDataLength(msg))};
  natsMsg_Destroy(msg);
  jsCtx_Destroy(js);
  natsConnection_Destroy(nc);
  return out;
}

}  // namespace

TEST_CASE("ingest: accepted events are in the stream, invalid ones reported, errors per contract", "[ingest]") {
  NatsServer nats;
  Ingest ingest(nats, {"--max-batch-events", "5", "--body-limit", "65536", "--max-decompressed-size", "100000"});
  REQUIRE(wait_until(seconds(10), [&] { return ingest.ready(); }));
  OpenApiChecker openapi(ingest.port);
  auto post = [&](std::string_view body, const HttpHeaders& headers = {}) {
    auto r = ingest.post(body, headers);
    openapi.check(r);
    return r;
  };

  SECTION("single, batch, mixed, resend") {
    auto r = post(tiktok_event("it-1", R"("partnerRef":{"k":[1,2]},)"));
    REQUIRE(r.status == 202);
    CHECK(json::parse(r.body) == json::parse(R"({"accepted":1,"duplicates":0,"rejected":[]})"));
    CHECK(stream_messages(nats) == 1);
    auto [id, payload] = stored_message(nats, 1);
    CHECK(id == "it-1");
    CHECK(json::parse(payload) == json::parse(tiktok_event("it-1", R"("partnerRef":{"k":[1,2]},)")));

    r = post("[" + facebook_event("it-2") + "," + tiktok_event("it-3") + "]");
    REQUIRE(r.status == 202);
    CHECK(json::parse(r.body) == json::parse(R"({"accepted":2,"duplicates":0,"rejected":[]})"));
    CHECK(stream_messages(nats) == 3);

    // mixed: the valid one is stored, the invalid ones listed with their index and errors
    r = post("[" + tiktok_event("it-4") + R"(,{"eventId":"bad-1","source":"tiktok"},)" +
             facebook_event("it-5").replace(facebook_event("it-5").find("\"age\":31"), 8, "\"age\":\"31\"") + "]");
    REQUIRE(r.status == 202);
    auto body = json::parse(r.body).as_object();
    CHECK(body.at("accepted").as_int64() == 1);
    const auto& rejected = body.at("rejected").as_array();
    REQUIRE(rejected.size() == 2);
    CHECK(rejected[0].at("index").as_int64() == 1);
    CHECK(rejected[0].at("eventId").as_string() == "bad-1");
    CHECK(rejected[1].at("index").as_int64() == 2);
    CHECK(rejected[1].at("eventId").as_string() == "it-5");
    CHECK(rejected[1].at("errors") == json::parse(R"(["data.user.age: expected number"])"));
    CHECK(stream_messages(nats) == 4);

    // resend: accepted again, reported as duplicate, stored once
    r = post(tiktok_event("it-1"));
    REQUIRE(r.status == 202);
    CHECK(json::parse(r.body) == json::parse(R"({"accepted":1,"duplicates":1,"rejected":[]})"));
    r = post("[" + tiktok_event("it-2") + "," + tiktok_event("it-6") + "," + tiktok_event("it-6") + "]");
    REQUIRE(r.status == 202);
    CHECK(json::parse(r.body) == json::parse(R"({"accepted":3,"duplicates":2,"rejected":[]})"));
    CHECK(stream_messages(nats) == 5);

    CHECK(metric(ingest.port, R"(eventhub_ingest_events_total{outcome="duplicate",source="tiktok"})") == 3);
    CHECK(metric(ingest.port, R"(eventhub_ingest_events_total{outcome="rejected",source="tiktok"})") == 1);
    CHECK(metric(ingest.port, R"(eventhub_ingest_events_total{outcome="rejected",source="facebook"})") == 1);
    CHECK(metric(ingest.port, R"(eventhub_nats_publish_total{outcome="ok"})") == 5);
    CHECK(metric(ingest.port, R"(eventhub_nats_publish_total{outcome="duplicate"})") == 3);
    CHECK(metric(ingest.port, "eventhub_nats_publish_inflight") == 0);
    CHECK(metric(ingest.port, "eventhub_nats_publish_duration_seconds_count") == 8);
  }

  SECTION("gzip body and gzip bomb") {
    auto r = post(gzip("[" + tiktok_event("gz-1") + "," + facebook_event("gz-2") + "]"), {{"Content-Encoding", "gzip"}});
    REQUIRE(r.status == 202);
    CHECK(json::parse(r.body).at("accepted").as_int64() == 2);
    CHECK(stream_messages(nats) == 2);
    // 50 MB of zeros compress to ~50 KB (under the 64 KiB body limit); the cap is 100000 bytes.
    const std::string bomb = gzip(std::string(50'000'000, ' '));
    REQUIRE(bomb.size() < 65536);
    r = post(bomb, {{"Content-Encoding", "gzip"}});
    CHECK(r.status == 413);
    CHECK_THAT(r.body, Catch::Contains("decompressed body exceeds the limit of 100000 bytes"));
    r = post("not gzip", {{"Content-Encoding", "gzip"}});
    CHECK(r.status == 400);
    CHECK(stream_messages(nats) == 2);
  }

  SECTION("400, 413, 415, 422, 404, 405") {
    for (std::string bad : {std::string("{"), std::string("nope"), std::string(R"({"a":1,"a":2})"),
                            std::string("{\"a\":\"\xC3\x28\"}"), std::string(R"({"a":"x\u0000"})"),
                            std::string(R"({"a":1e999})"), std::string(200, '[') + std::string(200, ']'),
                            std::string("[]"), std::string("42"), std::string("\"str\"")}) {
      INFO(bad);
      auto r = post(bad);
      CHECK(r.status == 400);
      auto e = json::parse(r.body).as_object();
      CHECK(e.at("statusCode").as_int64() == 400);
      CHECK(e.at("error").as_string() == "Bad Request");
    }
    // too many events in a batch (limit 5)
    std::string six = "[";
    for (int i = 0; i < 6; ++i) six += (i ? "," : "") + tiktok_event("x" + std::to_string(i));
    six += "]";
    auto r = post(six);
    CHECK(r.status == 413);
    // body over --body-limit
    r = post("[" + std::string(70'000, ' ') + "]");
    CHECK(r.status == 413);
    // content type / encoding
    r = http_request("POST", "127.0.0.1", ingest.port, "/webhook/event", tiktok_event("ct-1"),
                     {{"Content-Type", "text/plain"}});
    CHECK(r.status == 415);
    openapi.check(r);
    r = http_request("POST", "127.0.0.1", ingest.port, "/webhook/event", tiktok_event("ct-1"));
    CHECK(r.status == 415);
    openapi.check(r);
    r = post(tiktok_event("ct-1"), {{"Content-Encoding", "br"}});
    CHECK(r.status == 415);
    // every event invalid: 422 with the 202 body shape
    r = post(R"([{"eventId":"v-1"},{"eventId":"v-2","source":"myspace"}])");
    CHECK(r.status == 422);
    auto body = json::parse(r.body).as_object();
    CHECK(body.at("accepted").as_int64() == 0);
    CHECK(body.at("rejected").as_array().size() == 2);
    r = post(tiktok_event("v-3").replace(tiktok_event("v-3").find("\"like\""), 6, "\"purchase\""));
    CHECK(r.status == 422);
    CHECK_THAT(r.body, Catch::Contains("eventType: \\\"purchase\\\" is not a tiktok top event"));
    // an eventId that would inject a NATS header is rejected
    r = post(tiktok_event("x\\r\\nNats-Expected-Stream: nope"));
    CHECK(r.status == 422);
    CHECK_THAT(r.body, Catch::Contains("eventId: must not contain control characters"));
    // unknown route / wrong method
    CHECK(http_get(ingest.port, "/webhook/nope").status == 404);
    r = http_get(ingest.port, "/webhook/event");
    CHECK(r.status == 405);
    openapi.check(r);
    CHECK(stream_messages(nats) == 0);
    CHECK(metric(ingest.port, R"(eventhub_ingest_validation_errors_total{reason="invalid_json"})") == 7);
    CHECK(metric(ingest.port, R"(eventhub_ingest_validation_errors_total{reason="event_type"})") == 1);
  }

  SECTION("ops routes: health, metrics, swagger") {
    auto r = http_get(ingest.port, "/health/liveness");
    CHECK(r.status == 200);
    CHECK(json::parse(r.body) == json::parse(R"({"status":"ok"})"));
    r = http_get(ingest.port, "/health/readiness");
    CHECK(r.status == 200);
    CHECK(json::parse(r.body).at("checks").at("nats").at("status").as_string() == "ok");
    r = http_get(ingest.port, "/metrics");
    CHECK(r.status == 200);
    for (auto* family : {"eventhub_ingest_events_total", "eventhub_nats_publish_total", "eventhub_nats_publish_inflight",
                         "eventhub_nats_publish_duration_seconds", "eventhub_ingest_validation_errors_total",
                         "eventhub_http_requests_total"}) {
      INFO(family);
      CHECK_THAT(r.body, Catch::Contains(std::string("# TYPE ") + family));
    }
    r = http_get(ingest.port, "/api");
    CHECK(r.status == 200);
    CHECK_THAT(r.body, Catch::Contains("swagger-ui"));
    r = http_get(ingest.port, "/api-json");
    CHECK(r.status == 200);
    auto doc = json::parse(r.body);
    CHECK(doc.at("paths").as_object().contains("/webhook/event"));
  }
}

TEST_CASE("ingest: NATS killed -> 503 + Retry-After, not ready; restarted -> recovers", "[ingest][faults]") {
  NatsServer nats;
  Ingest ingest(nats, {"--publish-timeout-ms", "1500", "--retry-after", "2"});
  REQUIRE(wait_until(seconds(10), [&] { return ingest.ready(); }));
  OpenApiChecker openapi(ingest.port);
  REQUIRE(ingest.post(tiktok_event("f-1")).status == 202);

  nats.kill();
  REQUIRE(wait_until(seconds(10), [&] { return !ingest.ready(); }));
  auto ready = http_get(ingest.port, "/health/readiness");
  CHECK(ready.status == 503);
  CHECK(json::parse(ready.body).at("checks").at("nats").at("status").as_string() == "fail");
  auto r = ingest.post(tiktok_event("f-2"));
  CHECK(r.status == 503);
  CHECK(r.header("Retry-After") == std::optional<std::string>("2"));
  openapi.check(r);

  nats.start();
  REQUIRE(wait_until(seconds(15), [&] { return ingest.ready(); }));
  r = ingest.post(tiktok_event("f-2"));
  CHECK(r.status == 202);
  r = ingest.post(tiktok_event("f-1"));  // recovered store: still deduplicated
  CHECK(r.status == 202);
  CHECK(json::parse(r.body).at("duplicates").as_int64() == 1);
  CHECK(stream_messages(nats) == 2);

  // Broker hangs (SIGSTOP): the connection looks alive, no PubAck comes -> 503 after the
  // publish timeout, never 202.
  REQUIRE(nats.signal(SIGSTOP));
  REQUIRE(wait_stopped(nats.pid()));
  r = ingest.post(tiktok_event("f-3"));
  CHECK(r.status == 503);
  CHECK(r.header("Retry-After").has_value());
  CHECK_THAT(r.body, Catch::Contains("no PubAck"));
  REQUIRE(nats.signal(SIGCONT));
  REQUIRE(wait_until(seconds(15), [&] { return ingest.ready() && ingest.post(tiktok_event("f-3")).status == 202; }));
  CHECK(metric(ingest.port, R"(eventhub_nats_publish_total{outcome="timeout"})") >= 1);
  CHECK(metric(ingest.port, R"(eventhub_nats_publish_total{outcome="unavailable"})") >= 1);
}

TEST_CASE("ingest: full stream (discard new) -> 503, nothing claimed", "[ingest][faults]") {
  NatsServer nats;
  Ingest ingest(nats, {"--stream-max-msgs", "3"});
  REQUIRE(wait_until(seconds(10), [&] { return ingest.ready(); }));
  OpenApiChecker openapi(ingest.port);
  REQUIRE(ingest.post("[" + tiktok_event("s-1") + "," + tiktok_event("s-2") + "]").status == 202);
  // one more fits, the fourth does not: the whole request is 503 (the client retries; s-3 is
  // deduplicated then)
  auto r = ingest.post("[" + tiktok_event("s-3") + "," + tiktok_event("s-4") + "]");
  CHECK(r.status == 503);
  CHECK(r.header("Retry-After").has_value());
  CHECK_THAT(r.body, Catch::Contains("maximum messages exceeded"));
  openapi.check(r);
  CHECK(stream_messages(nats) == 3);
  r = ingest.post(tiktok_event("s-3"));  // already stored: a duplicate is still accepted
  CHECK(r.status == 202);
  CHECK(json::parse(r.body).at("duplicates").as_int64() == 1);
  CHECK(metric(ingest.port, R"(eventhub_nats_publish_total{outcome="error"})") == 1);
}

TEST_CASE("ingest: in-flight limit answers 429 with Retry-After", "[ingest][faults]") {
  NatsServer nats;
  Ingest ingest(nats, {"--max-inflight-publishes", "2", "--publish-timeout-ms", "8000"});
  REQUIRE(wait_until(seconds(10), [&] { return ingest.ready(); }));
  OpenApiChecker openapi(ingest.port);

  // A request that alone exceeds the limit can never be published.
  auto r = ingest.post("[" + tiktok_event("l-1") + "," + tiktok_event("l-2") + "," + tiktok_event("l-3") + "]");
  CHECK(r.status == 429);
  CHECK(r.header("Retry-After") == std::optional<std::string>("1"));
  openapi.check(r);

  // Two events held in flight by a hanging broker; a third request is refused at once.
  REQUIRE(nats.signal(SIGSTOP));
  REQUIRE(wait_stopped(nats.pid()));
  auto held = std::async(std::launch::async, [&] {
    return ingest.post("[" + tiktok_event("l-4") + "," + tiktok_event("l-5") + "]");
  });
  const bool held_in_flight =
      wait_until(seconds(10), [&] { return metric(ingest.port, "eventhub_nats_publish_inflight") == 2; });
  if (!held_in_flight) {
    nats.signal(SIGCONT);
    auto h = held.get();
    FAIL("held request never in flight; it answered " << h.status << " " << h.body << "\n"
                                                      << ingest.process.log_tail());
  }
  const auto started = std::chrono::steady_clock::now();
  r = ingest.post(tiktok_event("l-6"));
  CHECK(r.status == 429);
  CHECK(std::chrono::steady_clock::now() - started < seconds(2));
  REQUIRE(nats.signal(SIGCONT));
  auto held_result = held.get();
  CHECK(held_result.status == 202);
  CHECK(ingest.post(tiktok_event("l-6")).status == 202);
  CHECK(stream_messages(nats) == 3);
  CHECK(metric(ingest.port, R"(eventhub_nats_publish_total{outcome="overloaded"})") == 4);
}

TEST_CASE("ingest: API keys and HMAC signatures", "[ingest][auth]") {
  NatsServer nats;
  Ingest ingest(nats, {"--api-keys", "key-one,key-two", "--hmac-secret", "topsecret"});
  REQUIRE(wait_until(seconds(10), [&] { return ingest.ready(); }));
  OpenApiChecker openapi(ingest.port);
  const std::string body = tiktok_event("a-1");
  const auto now = std::chrono::duration_cast<seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  const std::string sig = "t=" + std::to_string(now) + ",v1=" +
                          eventhub::ingest::hmac_sha256_hex("topsecret", std::to_string(now) + "." + body);

  auto r = ingest.post(body, {{"X-Eventhub-Signature", sig}});
  CHECK(r.status == 401);
  openapi.check(r);
  r = ingest.post(body, {{"Authorization", "Bearer wrong"}, {"X-Eventhub-Signature", sig}});
  CHECK(r.status == 401);
  r = ingest.post(body, {{"Authorization", "Bearer key-two"}});
  CHECK(r.status == 401);
  CHECK_THAT(r.body, Catch::Contains("X-Eventhub-Signature"));
  r = ingest.post(body + " ", {{"X-Api-Key", "key-one"}, {"X-Eventhub-Signature", sig}});
  CHECK(r.status == 401);
  r = ingest.post(body, {{"Authorization", "Bearer key-two"}, {"X-Eventhub-Signature", sig}});
  CHECK(r.status == 202);
  openapi.check(r);
  r = ingest.post(body, {{"X-Api-Key", "key-one"}, {"X-Eventhub-Signature", sig}});
  CHECK(r.status == 202);
  CHECK(stream_messages(nats) == 1);
}

TEST_CASE("ingest: SIGTERM drains and exits 0", "[ingest]") {
  NatsServer nats;
  Ingest ingest(nats);
  REQUIRE(wait_until(seconds(10), [&] { return ingest.ready(); }));
  REQUIRE(ingest.post(tiktok_event("d-1")).status == 202);
  CHECK(ingest.process.stop() == 0);
  CHECK(stream_messages(nats) == 1);
}
