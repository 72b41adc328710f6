#include <eventhub/http/server.hpp>

#include <eventhub/common/log.hpp>
#include <eventhub/http/rejection.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <condition_variable>
#include <mutex>
#include <unordered_map>

namespace eventhub::http {

namespace {

// The server's own answers (404, 405, 400, 413, 431, 500) are never 429/503: no Retry-After.
constexpr int kRetryAfterS = 0;
using tcp = net::ip::tcp;
constexpr auto as_tuple_awaitable = net::as_tuple(net::use_awaitable);

const prometheus::Histogram::BucketBoundaries& latency_buckets() {
  static const prometheus::Histogram::BucketBoundaries b{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                         0.05,   0.1,   0.25,   0.5,   1,    2.5, 5, 10};
  return b;
}
}  // namespace

struct Server::Impl : std::enable_shared_from_this<Impl> {
  struct Session {
    explicit Session(tcp::socket socket) : stream(std::move(socket)) {}
    beast::tcp_stream stream;
    bool busy = false;    // touched only on the session's strand
    bool served = false;  // answered a request already (so idle means keep-alive idle)
  };

  Impl(net::io_context& io_, common::HttpServerConfig cfg_, std::string role_, Router router_,
       prometheus::Registry& registry)
      : io(io_),
        cfg(std::move(cfg_)),
        role(std::move(role_)),
        router(std::move(router_)),
        acceptor(net::make_strand(io_)),
        requests(prometheus::BuildCounter()
                     .Name("eventhub_http_requests_total")
                     .Help("HTTP requests answered, by route, method and status")
                     .Register(registry)),
        durations(prometheus::BuildHistogram()
                      .Name("eventhub_http_request_duration_seconds")
                      .Help("Time from a request's last byte read to its answer written, by route and status")
                      .Register(registry)),
        connections(prometheus::BuildGauge()
                        .Name("eventhub_http_connections_active")
                        .Help("Open HTTP connections")
                        .Register(registry)
                        .Add({{"role", role}})),
        rejected(prometheus::BuildCounter()
                     .Name("eventhub_http_connections_rejected_total")
                     .Help("Connections closed at accept because --max-connections was reached")
                     .Register(registry)
                     .Add({{"role", role}})) {}

  net::io_context& io;
  common::HttpServerConfig cfg;
  std::string role;
  Router router;
  tcp::acceptor acceptor;
  uint16_t bound_port = 0;

  std::atomic<bool> stopping{false};
  std::mutex mutex;
  std::condition_variable all_closed;
  std::unordered_map<uint64_t, std::shared_ptr<Session>> sessions;
  // False while the accept loop runs: the drain must wait for it, since it still hands connections
  // from the listen backlog to new sessions.
  bool accepting = false;
  uint64_t next_id = 0;

  prometheus::Family<prometheus::Counter>& requests;
  prometheus::Family<prometheus::Histogram>& durations;
  prometheus::Gauge& connections;
  prometheus::Counter& rejected;

  void observe(const std::string& route, bhttp::verb method, unsigned status, double seconds) {
    const std::string status_text = std::to_string(status);
    requests.Add({{"role", role}, {"route", route}, {"method", std::string(bhttp::to_string(method))},
                  {"status", status_text}})
        .Increment();
    durations.Add({{"role", role}, {"route", route}, {"status", status_text}}, latency_buckets()).Observe(seconds);
  }

  net::awaitable<Response> dispatch(Request& req) {
    const auto started = std::chrono::steady_clock::now();
    const auto match = router.match(req.method(), req.target());
    Response res;
    if (match.handler == nullptr) {
      Rejection r;
      if (match.status == Status::method_not_allowed) {
        r = {Status::method_not_allowed,
             "method " + std::string(req.method_string()) + " not allowed on " + std::string(path_of(req.target())) +
                 "; allowed: " + match.allow,
             "method", {}, {{bhttp::field::allow, match.allow}}};
      } else {
        r = {Status::not_found,
             "no route for " + std::string(req.method_string()) + " " + std::string(path_of(req.target())), "route"};
      }
      res = respond(r, req.version(), kRetryAfterS);
    } else {
      try {
        res = co_await (*match.handler)(req);
      } catch (const std::exception& e) {
        log::error("handler failed", "role", role, "route", match.route, "error", e.what());
        res = respond({Status::internal_server_error, "internal error", "internal"}, req.version(), kRetryAfterS);
      }
    }
    res.version(req.version());
    observe(match.route, req.method(), res.result_int(),
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    co_return res;
  }

  // An answer for a request we could not read completely; the connection closes after it.
  static Response read_error_response(const boost::system::error_code& ec, const common::HttpServerConfig& cfg) {
    Rejection r{Status::bad_request, "malformed HTTP request: " + ec.message(), "malformed"};
    if (ec == bhttp::error::body_limit)
      r = {Status::payload_too_large, "request body exceeds the limit of " + std::to_string(cfg.body_limit) + " bytes",
           "too_large"};
    else if (ec == bhttp::error::header_limit)
      r = {Status::request_header_fields_too_large,
           "request headers exceed the limit of " + std::to_string(cfg.header_limit) + " bytes", "header_too_large"};
    return respond(r, 11, kRetryAfterS);
  }

  static bool is_protocol_error(const boost::system::error_code& ec) {
    return ec.category() == bhttp::make_error_code(bhttp::error::end_of_stream).category() &&
           ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message;
  }

  net::awaitable<void> run_session(std::shared_ptr<Session> session) {
    auto& stream = session->stream;
    beast::flat_buffer buffer;
    bool first = true;
    for (;;) {
      session->busy = false;
      // A connection accepted before the drain gets its first request answered: its client sent it
      // to a server that was still listening.
      if (stopping && session->served) break;
      bhttp::request_parser<bhttp::string_body> parser;
      parser.header_limit(static_cast<std::uint32_t>(cfg.header_limit));
      parser.body_limit(cfg.body_limit);
      stream.expires_after(first ? cfg.read_timeout : cfg.idle_timeout);
      auto [hec, hn] = co_await bhttp::async_read_header(stream, buffer, parser, as_tuple_awaitable);
      session->busy = true;
      if (!hec && parser.get()[bhttp::field::expect] == "100-continue") {
        bhttp::response<bhttp::empty_body> cont{Status::continue_, 11};
        auto [cec, cn] = co_await bhttp::async_write(stream, cont, as_tuple_awaitable);
        if (cec) break;
      }
      boost::system::error_code ec = hec;
      if (!ec && !parser.is_done()) {
        stream.expires_after(cfg.read_timeout);
        auto [bec, bn] = co_await bhttp::async_read(stream, buffer, parser, as_tuple_awaitable);
        ec = bec;
      }
      if (ec) {
        if (is_protocol_error(ec)) {
          auto res = read_error_response(ec, cfg);
          res.keep_alive(false);
          observe("unmatched", parser.get().method(), res.result_int(), 0);
          stream.expires_after(cfg.read_timeout);
          co_await bhttp::async_write(stream, res, as_tuple_awaitable);
        }
        break;
      }
      Request req = parser.release();
      const bool head = req.method() == bhttp::verb::head;
      Response res = co_await dispatch(req);
      const bool keep_alive = req.keep_alive() && !stopping;
      res.keep_alive(keep_alive);
      res.set(bhttp::field::server, "eventhub");
      if (head) {
        const auto length = res.body().size();
        res.body().clear();
        res.content_length(length);
      }
      stream.expires_after(cfg.read_timeout);
      auto [wec, wn] = co_await bhttp::async_write(stream, res, as_tuple_awaitable);
      session->served = true;
      if (wec || !keep_alive) break;
      first = false;
    }
    boost::system::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream.close();
  }

  void spawn_session(tcp::socket socket) {
    boost::system::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    auto session = std::make_shared<Session>(std::move(socket));
    uint64_t id;
    {
      std::lock_guard lock(mutex);
      id = next_id++;
      sessions.emplace(id, session);
    }
    connections.Increment();
    auto executor = session->stream.get_executor();
    net::co_spawn(executor, run_session(session), [self = shared_from_this(), id](std::exception_ptr ep) {
      if (ep) {
        try {
          std::rethrow_exception(ep);
        } catch (const std::exception& e) {
          log::error("http session failed", "role", self->role, "error", e.what());
        }
      }
      self->connections.Decrement();
      std::lock_guard lock(self->mutex);
      self->sessions.erase(id);
      if (self->sessions.empty()) self->all_closed.notify_all();
    });
  }

  // Runs on the acceptor's strand, like the cancel that Server::stop posts: either the drain is seen
  // before an accept starts, or the cancel aborts that accept.
  net::awaitable<void> accept_loop() {
    for (;;) {
      if (stopping) co_return close_listener();
      auto [ec, socket] = co_await acceptor.async_accept(net::make_strand(io), as_tuple_awaitable);
      if (stopping || ec == net::error::operation_aborted) {
        if (!ec) spawn_session(std::move(socket));
        co_return close_listener();
      }
      if (ec) {
        // Out of file descriptors and similar: back off briefly instead of spinning.
        log::warn("accept failed", "role", role, "error", ec.message());
        net::steady_timer timer(acceptor.get_executor(), std::chrono::milliseconds(50));
        co_await timer.async_wait(as_tuple_awaitable);
        continue;
      }
      std::size_t open;
      {
        std::lock_guard lock(mutex);
        open = sessions.size();
      }
      if (open >= cfg.max_connections) {
        rejected.Increment();
        boost::system::error_code ignored;
        socket.close(ignored);
        continue;
      }
      spawn_session(std::move(socket));
    }
  }

  // Connections the kernel completed before the drain wait in the listen backlog; closing the
  // listener would reset them, so their clients would see a request cut off. Take them, answer
  // their first request, then close.
  void close_listener() {
    boost::system::error_code ec;
    acceptor.non_blocking(true, ec);
    while (!ec) {
      tcp::socket socket(net::make_strand(io));
      acceptor.accept(socket, ec);
      if (!ec) spawn_session(std::move(socket));
    }
    acceptor.close(ec);
  }
};

Server::Server(net::io_context& io, common::HttpServerConfig config, std::string role, Router router,
               prometheus::Registry& registry)
    : impl_(std::make_shared<Impl>(io, std::move(config), std::move(role), std::move(router), registry)) {}

Server::~Server() {
  impl_->stopping = true;
  net::post(impl_->acceptor.get_executor(), [impl = impl_] {
    boost::system::error_code ec;
    impl->acceptor.close(ec);
  });
}

void Server::start() {
  auto& a = impl_->acceptor;
  boost::system::error_code ec;
  const auto address = net::ip::make_address(impl_->cfg.host, ec);
  if (ec) throw std::runtime_error(impl_->role + ": invalid listen address '" + impl_->cfg.host + "'");
  const tcp::endpoint endpoint{address, impl_->cfg.port};
  const std::string where = impl_->cfg.host + ":" + std::to_string(impl_->cfg.port);
  a.open(endpoint.protocol(), ec);
  if (!ec) a.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) a.bind(endpoint, ec);
  if (!ec) a.listen(net::socket_base::max_listen_connections, ec);
  if (ec) throw std::runtime_error(impl_->role + ": cannot listen on " + where + ": " + ec.message());
  impl_->bound_port = a.local_endpoint().port();
  log::info("http server listening", "role", impl_->role, "host", impl_->cfg.host, "port",
                    impl_->bound_port);
  {
    std::lock_guard lock(impl_->mutex);
    impl_->accepting = true;
  }
  net::co_spawn(a.get_executor(), impl_->accept_loop(), [impl = impl_](std::exception_ptr ep) {
    {
      std::lock_guard lock(impl->mutex);
      impl->accepting = false;
    }
    impl->all_closed.notify_all();
    if (!ep) return;
    try {
      std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      log::error("accept loop failed", "role", impl->role, "error", e.what());
    }
  });
}

bool Server::stop(std::chrono::steady_clock::time_point deadline) {
  auto impl = impl_;
  impl->stopping = true;
  // The accept loop closes the listener itself, after taking what waits in the backlog.
  net::post(impl->acceptor.get_executor(), [impl] {
    boost::system::error_code ec;
    impl->acceptor.cancel(ec);
  });
  // Idle keep-alive connections are closed now; busy ones close after writing their answer.
  // Connections that have not sent their first request yet get a short grace: their client
  // connected while we were listening and may be sending it right now.
  enum class Sweep { keep_alive_idle, also_fresh, all };
  auto close_idle = [impl](Sweep sweep) {
    std::vector<std::shared_ptr<Impl::Session>> open;
    {
      std::lock_guard lock(impl->mutex);
      for (auto& [id, s] : impl->sessions) open.push_back(s);
    }
    for (auto& s : open)
      net::post(s->stream.get_executor(), [s, sweep] {
        const bool idle = !s->busy && (s->served || sweep == Sweep::also_fresh);
        if (sweep == Sweep::all || idle) s->stream.cancel();
      });
  };
  constexpr auto fresh_grace = std::chrono::seconds(1);
  const auto fresh_until = std::chrono::steady_clock::now() + fresh_grace;
  close_idle(Sweep::keep_alive_idle);
  std::unique_lock lock(impl->mutex);
  const auto done = [&] { return !impl->accepting && impl->sessions.empty(); };
  // Re-check now and then: a session may have gone idle after the first sweep.
  while (!done()) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) break;
    const auto wake = std::min(deadline, now + std::chrono::milliseconds(100));
    if (impl->all_closed.wait_until(lock, wake, done)) break;
    lock.unlock();
    close_idle(std::chrono::steady_clock::now() >= fresh_until ? Sweep::also_fresh : Sweep::keep_alive_idle);
    lock.lock();
  }
  const bool drained = done();
  lock.unlock();
  if (!drained) {
    log::warn("http drain deadline passed; closing remaining connections", "role", impl->role);
    close_idle(Sweep::all);
  }
  return drained;
}

uint16_t Server::port() const { return impl_->bound_port; }

}  // namespace eventhub::http
