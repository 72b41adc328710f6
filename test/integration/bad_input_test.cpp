// Bad input against the real processes: a corpus of malformed, wrong, hostile and oversized
// requests to serve-ingest (each answered with the documented 4xx and a message naming the
// problem; nothing reaches the stream; the process stays up and its memory bounded), bad
// analytics parameters (400 naming the parameter, table unchanged), slow clients that never
// finish their headers (normal requests still answered; read timeout closes them) and the
// connection cap (extra connections closed at accept).
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>

#include "eventhub_process.hpp"
#include "http_client.hpp"
#include "nats_server.hpp"
#include "payloads.hpp"
#include "ports.hpp"
#include "postgres_server.hpp"
#include "wait.hpp"

#include <boost/json.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

using namespace eventhub::test;
namespace json = boost::json;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

std::string fb_event(const std::string& id, const std::string& gender = "female", const std::string& age = "31",
                     const std::string& event_type = "ad.view", const std::string& extra = "") {
  return R"({"eventId":")" + id + R"(","timestamp":"2026-01-31T12:00:00Z","source":"facebook",)" + extra +
         R"("funnelStage":"top","eventType":")" + event_type + R"(","data":{"user":{"userId":"u1","name":"Ann",)"
         R"("age":)" + age + R"(,"gender":")" + gender + R"(","location":{"country":"DE","city":"Berlin"}},)"
         R"("engagement":{"actionTime":"2026-01-31T12:00:00Z","referrer":"newsfeed","videoId":null}}})";
}



// Resident memory of a process in KiB, from /proc/<pid>/status.
long vm_rss_kib(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

int64_t stream_messages(const NatsServer& nats, const std::string& stream = "EVENTS") {
  auto r = http_get(nats.monitor_port(), "/jsz?streams=1");
  REQUIRE(r.status == 200);
  auto v = json::parse(r.body);
  for (const auto& account : v.at("account_details").as_array())
    if (const auto* details = account.as_object().if_contains("stream_detail"))
      for (const auto& s : details->as_array())
        if (s.at("name").as_string() == stream) return s.at("state").at("messages").as_int64();
  return -1;
}

// A raw TCP connection to 127.0.0.1:port (blocking connect), or -1.
int raw_connect(uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Non-blocking look at a socket: "open" (nothing to read yet), "closed" (EOF or reset; any bytes
// the server sent before closing, e.g. a 408, are drained first), or "data".
enum class SockState { open, closed, data };
SockState peek_state(int fd) {
  char buf[4096];
  for (;;) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n == 0) return SockState::closed;
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return SockState::open;
      if (errno == EINTR) continue;
      return SockState::closed;  // ECONNRESET and friends
    }
  }
}

struct Sockets {
  std::vector<int> fds;
  ~Sockets() {
    for (int fd : fds)
      if (fd >= 0) ::close(fd);
  }
};

struct Case {
  std::string name;
  std::string body;
  HttpHeaders headers;  // added to Content-Type: application/json unless it names its own
  int status;
  std::string names;  // must occur in the message (or, for 422, in the rejected event's errors)
};

}  // namespace

TEST_CASE("ingest bad-input corpus: documented 4xx naming the problem, process up, memory bounded",
          "[integration][bad_input]") {
  NatsServer nats;
  const uint16_t port = free_port();
  EventhubProcess ingest({"serve-ingest", "--host", "127.0.0.1", "--port", std::to_string(port), "--nats-url",
                          nats.url(), "--body-limit", "262144", "--max-decompressed-size", "1048576",
                          "--max-batch-events", "100"});
  ingest.wait_ready(port, seconds(20), "/health/readiness");

  const std::string valid = fb_event("ok-1");
  std::vector<Case> corpus{
      {"malformed", "{\"eventId\": }", {}, 400, "JSON"},
      {"unterminated object", "{", {}, 400, "JSON"},
      {"truncated event", valid.substr(0, valid.size() / 2), {}, 400, "JSON"},
      {"trailing garbage", valid + "x", {}, 400, "JSON"},
      {"empty body", "", {}, 400, "JSON"},
      {"not JSON at all", "hello", {}, 400, "JSON"},
      {"null body", "null", {}, 400, "object or a JSON array"},
      {"number body", "42", {}, 400, "object or a JSON array"},
      {"string body", "\"event\"", {}, 400, "object or a JSON array"},
      {"boolean body", "true", {}, 400, "object or a JSON array"},
      {"empty batch", "[]", {}, 400, "empty"},
      {"eventId wrong type", fb_event("x").replace(fb_event("x").find("\"x\""), 3, "42"), {}, 422,
       "eventId: expected string"},
      {"age wrong type", fb_event("wt-1", "female", "\"thirty\""), {}, 422, "data.user.age"},
      {"data wrong type",
       R"({"eventId":"wt-2","timestamp":"2026-01-31T12:00:00Z","source":"facebook","funnelStage":"top","eventType":"ad.view","data":[]})",
       {}, 422, "data: expected object"},
      {"bad timestamp", fb_event("wt-3").replace(fb_event("wt-3").find("2026-01-31T12:00:00Z"), 20, "yesterday"), {},
       422, "timestamp"},
      {"missing eventId",
       R"({"timestamp":"2026-01-31T12:00:00Z","source":"facebook","funnelStage":"top","eventType":"ad.view","data":{}})",
       {}, 422, "eventId: required"},
      {"missing data.user",
       R"({"eventId":"m-2","timestamp":"2026-01-31T12:00:00Z","source":"tiktok","funnelStage":"top","eventType":"like","data":{"engagement":{}}})",
       {}, 422, "data.user"},
      {"wrong source enum", fb_event("e-1").replace(fb_event("e-1").find("facebook"), 8, "myspace"), {}, 422,
       "source"},
      {"wrong stage enum", fb_event("e-2").replace(fb_event("e-2").find("\"top\""), 5, "\"middle\""), {}, 422,
       "funnelStage"},
      {"wrong gender enum", fb_event("e-3", "robot"), {}, 422, "data.user.gender"},
      {"eventType of another source", fb_event("e-4", "female", "31", "like"), {}, 422, "eventType"},
      {"eventId too long", fb_event(std::string(129, 'a')), {}, 422, "eventId"},
      {"huge string", fb_event("h-1", "female", "31", "ad.view", "\"note\":\"" + std::string(70'000, 'x') + "\","),
       {}, 400, "longer than"},
      {"deep nesting",
       fb_event("h-2", "female", "31", "ad.view", "\"deep\":" + std::string(100, '[') + std::string(100, ']') + ","),
       {}, 400, "nesting"},
      {"huge number", fb_event("h-3", "female", "1e999"), {}, 400, "out of range"},
      {"huge integer", fb_event("h-4", "female", "123456789012345678901234567890"), {}, 400, "range"},
      {"invalid UTF-8", fb_event("u-1").replace(fb_event("u-1").find("Ann"), 3, "A\xC3\x28"), {}, 400, "UTF-8"},
      {"NUL escape", fb_event("u-2").replace(fb_event("u-2").find("Ann"), 3, "A\\u0000"), {}, 400, "\\u0000"},
      {"duplicate keys", fb_event("d-1", "female", "31", "ad.view", "\"eventId\":\"d-2\","), {}, 400,
       "duplicate key"},
      {"text/plain", valid, {{"Content-Type", "text/plain"}}, 415, "Content-Type"},
      {"form content type", valid, {{"Content-Type", "application/x-www-form-urlencoded"}}, 415, "Content-Type"},
      {"no content type", valid, {{"Content-Type", ""}}, 415, "Content-Type"},
      {"brotli encoding", valid, {{"Content-Encoding", "br"}}, 415, "br"},
      {"gzip header, plain body", valid, {{"Content-Encoding", "gzip"}}, 400, "gzip"},
      {"truncated gzip", gzip(valid).substr(0, 20), {{"Content-Encoding", "gzip"}}, 400, "gzip"},
      {"oversized body", "[" + std::string(300'000, ' ') + "]", {}, 413, "limit"},
      {"decompression bomb", gzip(std::string(20'000'000, ' ')), {{"Content-Encoding", "gzip"}}, 413,
       "decompressed"},
      {"huge header block", valid, {{"X-Pad", std::string(20'000, 'a')}}, 431, "request headers exceed"},
      {"too many events", [] {
         std::string b = "[";
         for (int i = 0; i < 101; ++i) b += (i ? "," : "") + fb_event("many-" + std::to_string(i));
         return b + "]";
       }(), {}, 413, "limit"},
  };

  const long rss_before = vm_rss_kib(ingest.pid());
  REQUIRE(rss_before > 0);
  // Three rounds: a leak or an unbounded buffer would show in the resident size.
  for (int round = 0; round < 3; ++round) {
    for (const auto& c : corpus) {
      INFO("case: " << c.name << " (round " << round << ")");
      HttpHeaders headers = c.headers;
      bool own_type = false;
      for (auto& h : headers) own_type |= h.first == "Content-Type";
      if (!own_type) headers.emplace_back("Content-Type", "application/json");
      headers.erase(std::remove_if(headers.begin(), headers.end(),
                                   [](const auto& h) { return h.first == "Content-Type" && h.second.empty(); }),
                    headers.end());
      HttpResponse r;
      REQUIRE_NOTHROW(r = http_request("POST", "127.0.0.1", port, "/webhook/event", c.body, headers, seconds(10)));
      INFO("answer: " << r.status << " " << r.body.substr(0, 400));
      CHECK(r.status == c.status);
      json::value v;
      REQUIRE_NOTHROW(v = json::parse(r.body));
      if (c.status == 422) {
        CHECK(v.at("accepted").as_int64() == 0);
        std::string errors;
        for (const auto& rej : v.at("rejected").as_array())
          for (const auto& e : rej.at("errors").as_array()) errors += std::string(e.as_string()) + "; ";
        CHECK_THAT(errors, Catch::Contains(c.names));
      } else {
        CHECK(v.at("statusCode").as_int64() == c.status);
        CHECK(v.at("error").is_string());
        CHECK_THAT(std::string(v.at("message").as_string()), Catch::Contains(c.names));
      }
    }
  }
  const long rss_after = vm_rss_kib(ingest.pid());
  WARN("ingest VmRSS before the corpus " << rss_before << " KiB, after 3 rounds " << rss_after << " KiB");
  CHECK(rss_after < 200 * 1024);

  // Nothing from the corpus reached the stream; the process is up and still works.
  CHECK(stream_messages(nats) == 0);
  CHECK(http_get(port, "/health/liveness").status == 200);
  auto ok = http_request("POST", "127.0.0.1", port, "/webhook/event", valid,
                         {{"Content-Type", "application/json; charset=utf-8"}});
  CHECK(ok.status == 202);
  auto mixed = http_post_json(port, "/webhook/event", "[" + valid + "," + fb_event("bad", "robot") + "]");
  REQUIRE(mixed.status == 202);
  auto mv = json::parse(mixed.body);
  CHECK(mv.at("rejected").as_array().size() == 1);
  CHECK(mv.at("rejected").at(0).at("index").as_int64() == 1);
  CHECK(stream_messages(nats) == 1);  // ok-1 once (the resend is a duplicate)
  CHECK(ingest.running());
}

TEST_CASE("analytics bad parameters: 400 naming the parameter, table unchanged", "[integration][bad_input]") {
  PostgresServer pg;
  pg.create_database("eventhub");
  const uint16_t port = free_port();
  EventhubProcess analytics({"serve-analytics", "--host", "127.0.0.1", "--port", std::to_string(port),
                             "--database-url", pg.url("eventhub"), "--db-pool-max", "2", "--db-pool-min", "1",
                             "--query-threads", "2"});
  analytics.wait_ready(port, seconds(20), "/health/readiness");
  pg.exec("eventhub",
          "INSERT INTO events (event_id, source, funnel_stage, event_type, event_time, user_id, data) VALUES "
          "('a-1','facebook','top','ad.view','2026-01-31T12:00:00Z','u1','{}'),"
          "('a-2','tiktok','bottom','purchase','2026-01-31T13:00:00Z','u2','{}')");
  const auto fingerprint = [&] {
    return pg.query_scalar("eventhub", "SELECT count(*) || ':' || sum(hashtext(event_id)) FROM events");
  };
  const std::string before = fingerprint();

  const std::vector<std::pair<std::string, std::string>> cases{
      {"/analytics/stats?from=" + url_encode("31/01/2026"), "from"},
      {"/analytics/stats?from=" + url_encode("2026-02-30T00:00:00Z"), "from"},
      {"/analytics/stats?to=" + url_encode("2026-01-31T25:00:00Z"), "to"},
      {"/analytics/stats?to=", "to"},
      {"/analytics/stats?source=FACEBOOK", "source"},
      {"/analytics/funnel?source=" + url_encode("facebook' OR '1'='1"), "source"},
      {"/analytics/countries?funnelStage=" + url_encode("top; DROP TABLE events"), "funnelStage"},
      {"/analytics/revenue?eventType=" + url_encode("ad.view' UNION SELECT 1 --"), "eventType"},
      {"/analytics/timeseries?granularity=" + url_encode("hour'); DELETE FROM events; --"), "granularity"},
      {"/analytics/campaigns/top?limit=-1", "limit"},
      {"/analytics/campaigns/top?limit=99999999999999999999", "limit"},
      {"/analytics/campaigns/top?limit=" + url_encode("10 OR 1=1"), "limit"},
      {"/analytics/users/top?limit=1.5", "limit"},
      {"/analytics/users/top?by=" + url_encode("events; TRUNCATE events"), "by"},
      {"/analytics/stats?from=" + url_encode(std::string(10'000, '9')), "from"},
      {"/analytics/stats?source=" + url_encode(std::string("face\0book", 9)), "source"},
      {"/analytics/stats?source=%FF%FE", "source"},
  };
  for (const auto& [target, param] : cases) {
    INFO(target.substr(0, 200));
    HttpResponse r;
    REQUIRE_NOTHROW(r = http_get(port, target));
    INFO(r.body.substr(0, 300));
    CHECK(r.status == 400);
    json::value v;
    REQUIRE_NOTHROW(v = json::parse(r.body));
    CHECK(v.at("statusCode").as_int64() == 400);
    CHECK_THAT(std::string(v.at("message").as_string()), Catch::Contains(param));
  }
  CHECK(fingerprint() == before);
  CHECK(http_get(port, "/health/liveness").status == 200);
  auto ok = http_get(port, "/analytics/stats?from=2026-01-31T00:00:00Z&to=2026-02-01T00:00:00Z");
  REQUIRE(ok.status == 200);
  CHECK(json::parse(ok.body).at("total").as_int64() == 2);
}

namespace {
// 200 connections that send part of a request header and then nothing.
void open_slow_clients(Sockets& slow, uint16_t port) {
  const std::string partial = "POST /webhook/event HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: appl";
  for (int i = 0; i < 200; ++i) {
    const int fd = raw_connect(port);
    REQUIRE(fd >= 0);
    REQUIRE(::send(fd, partial.data(), partial.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(partial.size()));
    slow.fds.push_back(fd);
  }
}
}  // namespace

TEST_CASE("slow clients that never finish headers do not delay normal requests", "[integration][bad_input]") {
  NatsServer nats;
  const uint16_t port = free_port();
  // Default read timeout (10 s): the slow sockets stay open during the whole test.
  EventhubProcess ingest({"serve-ingest", "--host", "127.0.0.1", "--port", std::to_string(port), "--nats-url",
                          nats.url()});
  ingest.wait_ready(port, seconds(20), "/health/readiness");
  Sockets slow;
  open_slow_clients(slow, port);
  // Normal requests meanwhile: answered, each within a couple of seconds (a functional bound).
  for (int i = 0; i < 5; ++i) {
    HttpResponse r;
    REQUIRE_NOTHROW(r = http_post_json(port, "/webhook/event", fb_event("slow-ok-" + std::to_string(i)), {},
                                       seconds(2)));
    CHECK(r.status == 202);
  }
  CHECK(http_get(port, "/health/liveness", seconds(2)).status == 200);
  int still_open = 0;
  for (int fd : slow.fds) still_open += peek_state(fd) == SockState::open;
  CHECK(still_open == 200);  // they were all there, holding connections, while we were served
}

TEST_CASE("slow clients are closed by the read timeout", "[integration][bad_input]") {
  NatsServer nats;
  const uint16_t port = free_port();
  EventhubProcess ingest({"serve-ingest", "--host", "127.0.0.1", "--port", std::to_string(port), "--nats-url",
                          nats.url(), "--read-timeout-ms", "1000"});
  ingest.wait_ready(port, seconds(20), "/health/readiness");
  Sockets slow;
  open_slow_clients(slow, port);
  const auto opened = std::chrono::steady_clock::now();
  // With --read-timeout-ms 1000 the server closes every slow socket within a few seconds.
  const bool all_closed = wait_until(seconds(6), [&] {
    for (int& fd : slow.fds) {
      if (fd < 0) continue;
      if (peek_state(fd) == SockState::closed) {
        ::close(fd);
        fd = -1;
      }
    }
    return std::all_of(slow.fds.begin(), slow.fds.end(), [](int fd) { return fd < 0; });
  }, milliseconds(50));
  const auto took = std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - opened);
  WARN("slow sockets closed after " << took.count() << " ms; still open: "
       << std::count_if(slow.fds.begin(), slow.fds.end(), [](int fd) { return fd >= 0; }));
  CHECK(all_closed);
  CHECK(ingest.running());
}

TEST_CASE("connection cap: with --max-connections 50, extra connections are closed at accept",
          "[integration][bad_input]") {
  NatsServer nats;
  const uint16_t port = free_port();
  EventhubProcess ingest({"serve-ingest", "--host", "127.0.0.1", "--port", std::to_string(port), "--nats-url",
                          nats.url(), "--max-connections", "50"});
  ingest.wait_ready(port, seconds(20), "/health/readiness");

  Sockets held;
  const std::string partial = "GET /health/liveness HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  for (int i = 0; i < 50; ++i) {
    const int fd = raw_connect(port);
    REQUIRE(fd >= 0);
    REQUIRE(::send(fd, partial.data(), partial.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(partial.size()));
    held.fds.push_back(fd);
  }
  // A 51st connection is accepted by the kernel but closed by the server without an answer.
  int refused = 0;
  const bool capped = wait_until(seconds(5), [&] {
    const int fd = raw_connect(port);
    if (fd < 0) return false;
    const std::string req = "GET /health/liveness HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    ::send(fd, req.data(), req.size(), MSG_NOSIGNAL);
    timeval tv{2, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char buf[256];
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    ::close(fd);
    if (n == 0 || (n < 0 && errno == ECONNRESET)) ++refused;
    return refused >= 3;
  }, milliseconds(50));
  CHECK(capped);
  // The held ones are still open (not the ones that were dropped) ...
  int still_open = 0;
  for (int fd : held.fds) still_open += peek_state(fd) == SockState::open;
  CHECK(still_open == 50);
  // ... and once they go, normal requests are served again.
  for (int& fd : held.fds) {
    ::close(fd);
    fd = -1;
  }
  CHECK(wait_http_ok(port, "/health/liveness", seconds(5)));
  CHECK(ingest.running());
}
