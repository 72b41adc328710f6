// `eventhub publish` against a scripted HTTP server written with raw POSIX sockets (independent of
// the Beast client under test): retries and Retry-After, network errors, give-up, the counting in the
// summary, pacing, single vs batch bodies, gzip, and determinism of the bodies for one seed.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>

#include "eventhub_process.hpp"
#include "payloads.hpp"
#include "wait.hpp"

#include <eventhub/publish/client.hpp>
#include <eventhub/publish/generator.hpp>

#include <boost/json.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <fstream>
#include <sstream>
#include <cstring>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

using namespace eventhub;
namespace json = boost::json;
using std::chrono::milliseconds;
using steady = std::chrono::steady_clock;

namespace {

struct Request {
  std::string headers;  // raw header block, lower-cased
  std::string body;     // decompressed when Content-Encoding: gzip
  steady::time_point at;
};

struct Reply {
  int status = 202;
  std::string extra_headers;  // "Retry-After: 0\r\n"
  std::string body;
  bool drop = false;          // close the connection without answering
  bool close_after = false;   // answer (keep-alive as far as the client knows), then close
};


// A keep-alive HTTP/1.1 server on 127.0.0.1:<ephemeral>, one thread per connection. `handler` sees
// every request (numbered from 0 in arrival order, under a lock) and decides the reply.
class ScriptedServer {
 public:
  using Handler = std::function<Reply(int number, const Request& request)>;

  explicit ScriptedServer(Handler handler) : handler_(std::move(handler)) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(listen_fd_, 64) != 0)
      throw std::runtime_error(std::string("ScriptedServer: ") + std::strerror(errno));
    socklen_t len = sizeof addr;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    acceptor_ = std::thread([this] { accept_loop(); });
  }

  ~ScriptedServer() {
    stop_ = true;
    acceptor_.join();
    {
      std::lock_guard lock(mutex_);
      for (const int fd : client_fds_) ::shutdown(fd, SHUT_RDWR);
    }
    for (auto& t : workers_) t.join();
    ::close(listen_fd_);
  }

  uint16_t port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/webhook/event"; }

  std::vector<Request> requests() {
    std::lock_guard lock(mutex_);
    return requests_;
  }

 private:
  void accept_loop() {
    while (!stop_) {
      pollfd p{listen_fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;  // wakes up to notice stop_
      const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      std::lock_guard lock(mutex_);
      client_fds_.push_back(fd);
      workers_.emplace_back([this, fd] { serve(fd); });
    }
  }

  static bool read_more(int fd, std::string& buf) {
    char chunk[65536];
    const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n <= 0) return false;
    buf.append(chunk, static_cast<std::size_t>(n));
    return true;
  }

  void serve(int fd) {
    std::string buf;
    for (;;) {
      std::size_t end;
      while ((end = buf.find("\r\n\r\n")) == std::string::npos)
        if (!read_more(fd, buf)) return;
      Request req;
      req.headers = buf.substr(0, end);
      std::transform(req.headers.begin(), req.headers.end(), req.headers.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      std::size_t length = 0;
      if (const auto p = req.headers.find("content-length:"); p != std::string::npos)
        length = std::stoul(req.headers.substr(p + 15));
      buf.erase(0, end + 4);
      while (buf.size() < length)
        if (!read_more(fd, buf)) return;
      req.body = buf.substr(0, length);
      buf.erase(0, length);
      if (req.headers.find("content-encoding: gzip") != std::string::npos) req.body = test::gunzip(req.body);
      req.at = steady::now();
      Reply reply;
      {
        std::lock_guard lock(mutex_);
        reply = handler_(static_cast<int>(requests_.size()), req);
        requests_.push_back(req);
      }
      if (reply.drop) {
        ::shutdown(fd, SHUT_RDWR);
        return;
      }
      const std::string out = "HTTP/1.1 " + std::to_string(reply.status) + " X\r\nContent-Type: application/json\r\n" +
                              reply.extra_headers + "Content-Length: " + std::to_string(reply.body.size()) +
                              "\r\n\r\n" + reply.body;
      if (::send(fd, out.data(), out.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(out.size())) return;
      if (reply.close_after) {
        ::shutdown(fd, SHUT_RDWR);
        return;
      }
    }
  }

  Handler handler_;
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread acceptor_;
  std::mutex mutex_;
  std::vector<int> client_fds_;
  std::vector<std::thread> workers_;
  std::vector<Request> requests_;
};

// The ingest's answer computed from the body: events without a string eventId or with an unknown
// source are rejected; an eventId seen before (in an accepted event) is a duplicate.
struct Tally {
  int64_t accepted = 0, duplicates = 0, rejected = 0;
  std::set<std::string> ids;

  Reply answer(const std::string& body) {
    const auto value = json::parse(body);
    json::array events = value.is_array() ? value.as_array() : json::array{value};
    json::array rejected_list;
    int64_t ok = 0, dup = 0;
    for (std::size_t i = 0; i < events.size(); ++i) {
      const auto& e = events[i].as_object();
      const auto* id = e.if_contains("eventId");
      const auto* source = e.if_contains("source");
      const bool valid = id && id->is_string() && !id->as_string().empty() && id->as_string().size() <= 128 &&
                         source && source->is_string() && (source->as_string() == "facebook" || source->as_string() == "tiktok");
      if (!valid) {
        rejected_list.push_back(json::object{{"index", i}, {"eventId", id ? *id : json::value()}, {"errors", json::array{"bad"}}});
        continue;
      }
      ++ok;
      if (!ids.insert(std::string(id->as_string())).second) ++dup;
    }
    accepted += ok;
    duplicates += dup;
    rejected += static_cast<int64_t>(rejected_list.size());
    Reply r;
    r.status = ok > 0 ? 202 : 422;
    r.body = json::serialize(json::object{{"accepted", ok}, {"duplicates", dup}, {"rejected", rejected_list}});
    return r;
  }
};

publish::GeneratorOptions gen_options(uint64_t seed, double dup = 0, double inv = 0) {
  publish::GeneratorOptions g;
  g.seed = seed;
  g.duplicate_ratio = dup;
  g.invalid_ratio = inv;
  g.base_time_ms = 1'767'225'600'000;  // 2026-01-01T00:00:00Z
  return g;
}

publish::LoadOptions load_options(const ScriptedServer& server, int64_t count, int batch, int connections) {
  publish::LoadOptions o;
  o.url = *publish::parse_http_url(server.url());
  o.count = count;
  o.batch = batch;
  o.connections = connections;
  o.backoff.base = milliseconds{5};
  o.backoff.cap = milliseconds{50};
  o.request_timeout = milliseconds{5000};
  o.handle_signals = false;  // Catch2 owns the signal handlers of this process
  return o;
}

publish::Summary run(const publish::LoadOptions& o, const publish::GeneratorOptions& g) {
  const publish::EventGenerator gen(g);
  publish::ProgressDisplay progress(publish::ProgressMode::none, stderr);
  return publish::run_load(o, gen, progress);
}

json::object last_json_line(const std::string& out) {
  auto end = out.find_last_not_of('\n');
  REQUIRE(end != std::string::npos);
  const auto start = out.rfind('\n', end);
  return json::parse(out.substr(start == std::string::npos ? 0 : start + 1, end + 1 - (start == std::string::npos ? 0 : start + 1)))
      .as_object();
}

}  // namespace

TEST_CASE("503 with Retry-After is retried, then the 202 answers are counted", "[publish]") {
  Tally tally;
  ScriptedServer server([&](int n, const Request& r) {
    if (n < 3) return Reply{503, "Retry-After: 0\r\n", R"({"statusCode":503,"error":"Service Unavailable","message":"broker"})"};
    return tally.answer(r.body);
  });
  auto o = load_options(server, 1000, 50, 2);
  const auto s = run(o, gen_options(21, 0.1, 0.1));
  const auto requests = server.requests();
  CHECK(s.sent == 1000);
  CHECK(s.failed == 0);
  CHECK(s.retries == 3);
  CHECK(s.requests == 23);
  CHECK(requests.size() == 23);
  CHECK(s.accepted == tally.accepted);
  CHECK(s.duplicates == tally.duplicates);
  CHECK(s.rejected == tally.rejected);
  CHECK(s.accepted + s.rejected + s.failed == s.sent);
  CHECK(s.rejected > 10);   // ~10% invalid; the tally catches 4 of the 13 kinds
  CHECK(s.duplicates > 0);  // ~10% resends
  // Every distinct eventId the server accepted, once.
  CHECK(s.unique_accepted == static_cast<int64_t>(tally.ids.size()));
  CHECK(s.p99_ms >= s.p50_ms);
  CHECK_FALSE(s.interrupted);
  CHECK_FALSE(s.aborted);
  for (const auto& r : requests) {
    CHECK(r.headers.rfind("post /webhook/event http/1.1", 0) == 0);
    CHECK(r.headers.find("content-type: application/json") != std::string::npos);
    CHECK(json::parse(r.body).is_array());
  }
}

TEST_CASE("Retry-After seconds are waited for", "[publish]") {
  Tally tally;
  ScriptedServer server([&](int n, const Request& r) {
    if (n == 0) return Reply{429, "Retry-After: 1\r\n", R"({"statusCode":429,"error":"Too Many Requests","message":"busy"})"};
    return tally.answer(r.body);
  });
  const auto s = run(load_options(server, 10, 10, 1), gen_options(3));
  const auto requests = server.requests();
  REQUIRE(requests.size() == 2);
  CHECK(requests[1].at - requests[0].at >= milliseconds{1000});
  CHECK(s.accepted == 10);
  CHECK(s.retries == 1);
}

TEST_CASE("a dropped connection is a network error: reconnect and retry", "[publish]") {
  Tally tally;
  ScriptedServer server([&](int n, const Request& r) {
    if (n == 0 || n == 1) {
      Reply drop;
      drop.drop = true;
      return drop;
    }
    return tally.answer(r.body);
  });
  const auto s = run(load_options(server, 300, 100, 1), gen_options(4));
  CHECK(s.sent == 300);
  CHECK(s.accepted == 300);
  CHECK(s.failed == 0);
  CHECK(s.retries == 2);
  CHECK(server.requests().size() == 5);
}

TEST_CASE("a keep-alive connection closed by the server while idle is reopened, not counted as a retry", "[publish]") {
  Tally tally;
  ScriptedServer server([&](int n, const Request& r) {
    Reply reply = tally.answer(r.body);
    reply.close_after = n == 0;
    return reply;
  });
  const auto s = run(load_options(server, 200, 100, 1), gen_options(12));
  CHECK(s.accepted == 200);
  CHECK(s.retries == 0);
  CHECK(s.failed == 0);
  CHECK(s.requests == 3);  // the second request's first try met the closed connection
  CHECK(server.requests().size() == 2);
}

TEST_CASE("retries run out: the events are failed and the run stops early", "[publish]") {
  ScriptedServer server([](int, const Request&) {
    return Reply{503, "Retry-After: 0\r\n", R"({"statusCode":503,"error":"Service Unavailable","message":"down"})"};
  });
  auto o = load_options(server, 1000, 100, 1);
  o.max_retries = 2;
  const auto s = run(o, gen_options(5));
  CHECK(s.failed == s.sent);
  CHECK(s.accepted == 0);
  CHECK(s.sent == 200);  // one connection gave up twice in a row: the remaining 800 were never sent
  CHECK(s.retries == 4);
  CHECK(server.requests().size() == 6);
  CHECK(s.aborted);
}

TEST_CASE("a 400 is not retried and counts as failed", "[publish]") {
  Tally tally;
  ScriptedServer server([&](int n, const Request& r) {
    if (n == 0) return Reply{400, "", R"({"statusCode":400,"error":"Bad Request","message":"no"})"};
    return tally.answer(r.body);
  });
  const auto s = run(load_options(server, 200, 100, 1), gen_options(6));
  CHECK(s.failed == 100);
  CHECK(s.accepted == 100);
  CHECK(s.retries == 0);
}

TEST_CASE("--batch 1 sends bare objects; an invalid one gets 422 and counts as rejected", "[publish]") {
  Tally tally;
  ScriptedServer server([&](int, const Request& r) { return tally.answer(r.body); });
  const auto s = run(load_options(server, 300, 1, 4), gen_options(8, 0, 0.3));
  const auto requests = server.requests();
  REQUIRE(requests.size() == 300);
  for (const auto& r : requests) CHECK(json::parse(r.body).is_object());
  CHECK(s.rejected == tally.rejected);
  CHECK(s.rejected > 20);
  CHECK(s.accepted == tally.accepted);
  CHECK(s.accepted + s.rejected == 300);
}

TEST_CASE("--rate paces the whole run", "[publish]") {
  Tally tally;
  ScriptedServer server([&](int, const Request& r) { return tally.answer(r.body); });
  auto o = load_options(server, 400, 20, 4);
  o.rate = 1000;  // 400 events: the last batch may start after 380 ms
  const auto started = steady::now();
  const auto s = run(o, gen_options(9));
  CHECK(steady::now() - started >= milliseconds{370});
  CHECK(s.accepted == 400);
}

TEST_CASE("the binary: same seed and base time, same bodies; summary line; gzip; exit codes", "[publish]") {
  const auto publish = [](const ScriptedServer& server, const std::string& seed, std::vector<std::string> extra) {
    std::vector<std::string> args{"publish", "--url", server.url(), "--count", "600", "--batch", "50",
                                  "--connections", "3", "--seed", seed, "--base-time", "2026-01-01T00:00:00Z",
                                  "--duplicate-ratio", "0.1", "--invalid-ratio", "0.05", "--progress", "none"};
    args.insert(args.end(), extra.begin(), extra.end());
    return test::EventhubProcess::run(args, {}, std::chrono::seconds(20));
  };
  const auto bodies = [](ScriptedServer& server) {
    std::vector<std::string> out;
    for (const auto& r : server.requests()) out.push_back(r.body);
    std::sort(out.begin(), out.end());  // three connections: arrival order varies, content does not
    return out;
  };

  Tally t1, t2, t3;
  ScriptedServer s1([&](int, const Request& r) { return t1.answer(r.body); });
  ScriptedServer s2([&](int, const Request& r) { return t2.answer(r.body); });
  ScriptedServer s3([&](int, const Request& r) { return t3.answer(r.body); });
  const auto r1 = publish(s1, "77", {});
  const auto r2 = publish(s2, "77", {"--gzip", "--api-key", "k3y"});
  const auto r3 = publish(s3, "78", {});
  INFO(r1.err << r2.err << r3.err);
  CHECK(r1.exit_status == 0);
  CHECK(r2.exit_status == 0);
  CHECK(r3.exit_status == 0);
  CHECK(bodies(s1).size() == 12);
  CHECK(bodies(s1) == bodies(s2));
  CHECK(bodies(s1) != bodies(s3));
  for (const auto& r : s2.requests()) {
    CHECK(r.headers.find("content-encoding: gzip") != std::string::npos);
    CHECK(r.headers.find("authorization: bearer k3y") != std::string::npos);
  }

  const auto summary = last_json_line(r1.out);
  CHECK(r1.out.find('\n') == r1.out.size() - 1);  // stdout holds exactly one line
  const std::vector<std::string> keys{"sent", "accepted", "duplicates", "rejected", "failed", "seconds", "eventsPerSecond"};
  for (const auto& k : keys) CHECK(summary.contains(k));
  CHECK(summary.at("sent").as_int64() == 600);
  CHECK(summary.at("accepted").as_int64() == t1.accepted);
  CHECK(summary.at("duplicates").as_int64() == t1.duplicates);
  CHECK(summary.at("rejected").as_int64() == t1.rejected);
  CHECK(summary.at("failed").as_int64() == 0);

  ScriptedServer refusing([](int, const Request&) { return Reply{401, "", R"({"statusCode":401,"error":"Unauthorized","message":"key"})"}; });
  const auto r4 = publish(refusing, "77", {});
  CHECK(r4.exit_status == 1);
  const auto failed = last_json_line(r4.out);
  CHECK(failed.at("failed").as_int64() > 0);
  CHECK(failed.at("failed").as_int64() == failed.at("sent").as_int64());
}

TEST_CASE("SIGTERM: no new requests, in-flight ones finish, summary says interrupted, exit 1", "[publish]") {
  Tally tally;
  ScriptedServer server([&](int, const Request& r) { return tally.answer(r.body); });
  test::EventhubProcess process({"publish", "--url", server.url(), "--count", "1000000", "--batch", "10",
                                 "--rate", "500", "--progress", "none"});
  REQUIRE(test::wait_until(std::chrono::seconds(10), [&] { return server.requests().size() >= 3; }));
  REQUIRE(process.signal(SIGTERM));
  const auto status = process.wait_exit(std::chrono::seconds(15));
  REQUIRE(status.has_value());
  CHECK(*status == 1);
  std::ifstream log(process.log_file());
  std::stringstream text;
  text << log.rdbuf();
  const auto all = text.str();
  const auto at = all.rfind("{\"sent\":");
  REQUIRE(at != std::string::npos);
  const auto summary = json::parse(all.substr(at, all.find('\n', at) - at)).as_object();
  INFO(all);
  CHECK(summary.at("interrupted").as_bool());
  CHECK(summary.at("sent").as_int64() < 1'000'000);
  CHECK(summary.at("sent").as_int64() == static_cast<int64_t>(server.requests().size()) * 10);
  CHECK(summary.at("accepted").as_int64() == tally.accepted);
  CHECK(summary.at("failed").as_int64() == 0);
}
