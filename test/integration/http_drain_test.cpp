// The HTTP server's drain, in process, against real sockets: a client whose connection the kernel
// completed before stop() gets its answer even if the server had not accepted it yet (closing the
// listener would reset it); connections made after the drain are refused.
#define CATCH_CONFIG_MAIN
#include "http_client.hpp"
#include "wait.hpp"

#include <eventhub/http/router.hpp>
#include <eventhub/http/server.hpp>

#include <catch2/catch.hpp>

#include <boost/asio/io_context.hpp>

#include <prometheus/registry.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <sstream>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

namespace eventhub::test {
namespace {

using namespace std::chrono_literals;
namespace net = boost::asio;

// Connections waiting in the accept queue of the listener on 127.0.0.1:port (Linux: a LISTEN
// socket's rx_queue in /proc/net/tcp is its accept backlog).
int accept_backlog(std::uint16_t port) {
  std::ifstream in("/proc/net/tcp");
  std::string line;
  char want[16];
  std::snprintf(want, sizeof want, "0100007F:%04X", port);
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string slot, local, remote, state, queues;
    fields >> slot >> local >> remote >> state >> queues;
    if (local == want && state == "0A") return std::stoi(queues.substr(queues.find(':') + 1), nullptr, 16);
  }
  return -1;
}

TEST_CASE("stop() answers the requests of connections still waiting in the listen backlog", "[http][drain]") {
  constexpr int kClients = 48;
  net::io_context io;
  prometheus::Registry registry;
  http::Router router;
  router.add(http::bhttp::verb::post, "/echo", [](http::Request& req) -> net::awaitable<http::Response> {
    co_return http::json_response(http::Status::ok, req.body());
  });
  common::HttpServerConfig cfg;
  cfg.host = "127.0.0.1";
  http::Server server(io, cfg, "test", std::move(router), registry);
  server.start();  // listening; nothing accepted until the I/O threads run
  const auto port = server.port();

  // Every client connects (the kernel completes the handshake into the backlog) and sends its
  // request before the server has accepted anything.
  std::atomic<int> answered{0}, failed{0};
  std::mutex mu;
  std::string last_error;
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c)
    clients.emplace_back([&, c] {
      try {
        const auto body = R"({"client":)" + std::to_string(c) + "}";
        const auto r = http_post_json(port, "/echo", body, {}, 10s);
        if (r.status == 200 && r.body == body) ++answered;
      } catch (const HttpError& e) {
        ++failed;
        std::lock_guard lock(mu);
        last_error = e.what();
      }
    });
  REQUIRE(wait_until(10s, [&] { return accept_backlog(port) == kClients; }, 5ms));

  // The drain starts before the server ever ran: the backlog is all it has to serve.
  std::thread stopper([&] { CHECK(server.stop(std::chrono::steady_clock::now() + 10s)); });
  std::this_thread::sleep_for(50ms);  // stop() has posted its cancel behind the accept loop's start
  std::vector<std::thread> io_threads;
  for (int i = 0; i < 2; ++i) io_threads.emplace_back([&] { io.run(); });
  stopper.join();
  // What a role does after its stop actions: stop the I/O threads. Nothing may be left to serve.
  io.stop();
  for (auto& t : io_threads) t.join();
  for (auto& t : clients) t.join();

  INFO("answered " << answered << ", failed " << failed << " (" << last_error << ")");
  CHECK(answered == kClients);
  // ... and the listener is closed: new connections are refused, not accepted and dropped.
  CHECK_THROWS_WITH(http_post_json(port, "/echo", "{}", {}, 2s), Catch::Contains("Connection refused"));
}

}  // namespace
}  // namespace eventhub::test
