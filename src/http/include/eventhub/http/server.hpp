#pragma once
// One HTTP/1.1 server (Beast, coroutines): a listener and one coroutine per connection on its own
// strand. Created by a role, started before the runtime runs, stopped by the role's stop action:
// stop() closes the acceptor, closes idle keep-alive connections, and waits (blocking, so call it
// from the shutdown thread, never an I/O thread) until in-flight requests are answered or the
// deadline passes. Every read has a deadline and a body limit; headers are capped.

#include <eventhub/common/config.hpp>
#include <eventhub/http/router.hpp>

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <memory>
#include <string>

namespace prometheus {
class Registry;
}

namespace eventhub::http {

class Server {
 public:
  Server(net::io_context& io, common::HttpServerConfig config, std::string role, Router router,
         prometheus::Registry& registry);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and starts accepting; throws std::runtime_error naming the address when bind fails.
  void start();
  // Drain: see class comment. Returns true when every connection finished before the deadline.
  bool stop(std::chrono::steady_clock::time_point deadline);

  uint16_t port() const;  // the bound port (useful with port 0)

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace eventhub::http
