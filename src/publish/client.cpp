#include <eventhub/publish/client.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>

#include <zlib.h>

#include <algorithm>
#include <csignal>
#include <map>
#include <random>
#include <stdexcept>

namespace eventhub::publish {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = net::ip::tcp;
using steady = std::chrono::steady_clock;
constexpr auto tuple_awaitable = net::as_tuple(net::use_awaitable);
constexpr std::size_t kMaxAnswerBytes = 64 * 1024 * 1024;
constexpr int kReportedFailures = 3;  // answers of non-retryable failures echoed on stderr

struct Answer {
  bool network_error = false;
  bool stale_connection = false;  // a reused keep-alive connection turned out closed by the server
  unsigned status = 0;
  std::string error;  // network error text, or "HTTP <status>"
  std::string body;
  std::optional<std::chrono::milliseconds> retry_after;
};

// One run: owns the io_context and everything the connection coroutines share. All of it is touched
// from the one thread running the io_context, so plain members are enough.
class Load {
 public:
  Load(const LoadOptions& o, const EventGenerator& g, ProgressDisplay& p)
      : o_(o), gen_(g), progress_(p), jitter_(o.jitter_seed), progress_timer_(io_) {
    if (o_.count > 0 && o_.count <= (int64_t{1} << 31))  // a bit per event: up to 256 MiB
      accepted_bits_.assign(static_cast<std::size_t>(o_.count / 64 + 1), 0);
  }

  Summary run() {
    const int connections = static_cast<int>(std::clamp<int64_t>(o_.connections, 1, std::max<int64_t>(1, (o_.count + o_.batch - 1) / o_.batch)));
    std::optional<net::signal_set> signals;
    if (o_.handle_signals) {
      signals.emplace(io_, SIGINT, SIGTERM);
      signals_ = &*signals;
      arm_signals();
    }
    active_ = connections;
    const auto rethrow = [](std::exception_ptr e) {
      if (e) std::rethrow_exception(e);
    };
    for (int i = 0; i < connections; ++i) net::co_spawn(io_, connection(), rethrow);
    net::co_spawn(io_, progress_loop(), rethrow);
    io_.run();
    signals_ = nullptr;

    Summary s;
    s.sent = sent_;
    s.accepted = accepted_;
    s.duplicates = duplicates_;
    s.rejected = rejected_;
    s.failed = failed_;
    s.seconds = started_ ? std::chrono::duration<double>(end_ - start_).count() : 0;
    s.unique_accepted = -1;
    if (!accepted_bits_.empty()) {
      s.unique_accepted = 0;
      for (const auto word : accepted_bits_) s.unique_accepted += __builtin_popcountll(word);
    }
    s.requests = requests_;
    s.retries = retries_;
    s.p50_ms = latency_.percentile(50);
    s.p99_ms = latency_.percentile(99);
    s.max_ms = latency_.max();
    s.start_unix_ms = started_ ? start_unix_ms_ : 0;
    s.end_unix_ms = s.start_unix_ms + static_cast<int64_t>(s.seconds * 1000);
    s.seed = gen_.options().seed;
    s.interrupted = interrupted_;
    s.aborted = aborted_;
    if (!error_counts_.empty()) {
      std::string text = "publish: errors (retried or not):";
      for (const auto& [what, n] : error_counts_) text += " [" + what + "] x" + std::to_string(n);
      progress_.message(text);
    }
    return s;
  }

 private:
  ProgressSnapshot snapshot() const {
    ProgressSnapshot p;
    p.total = o_.count;
    p.sent = sent_;
    p.accepted = accepted_;
    p.duplicates = duplicates_;
    p.rejected = rejected_;
    p.failed = failed_;
    p.retries = retries_;
    p.errors = errors_;
    p.elapsed_s = std::chrono::duration<double>(steady::now() - created_).count();
    return p;
  }

  void arm_signals() {
    signals_->async_wait([this](const boost::system::error_code& ec, int) {
      if (ec || signals_ == nullptr) return;
      if (!stopping_) {
        progress_.message("publish: stopping: no new requests; waiting for the ones in flight (signal again to abort them)");
        interrupted_ = true;
        stop();
        arm_signals();
      } else {
        for (auto* stream : streams_) stream->close();
      }
    });
  }

  void stop() {
    stopping_ = true;
    for (auto* timer : timers_) timer->cancel();
  }

  // false when the wait was cut short by stop().
  net::awaitable<bool> sleep_until(net::steady_timer& timer, steady::time_point when) {
    if (stopping_) co_return false;
    timer.expires_at(when);
    co_await timer.async_wait(tuple_awaitable);
    co_return !stopping_;
  }

  net::awaitable<void> progress_loop() {
    while (active_ > 0) {
      progress_timer_.expires_after(progress_.interval());
      co_await progress_timer_.async_wait(tuple_awaitable);
      if (active_ > 0) progress_.update(snapshot());
    }
    progress_.finish(snapshot());
  }

  void close(beast::tcp_stream& stream, bool& open) {
    stream.close();
    open = false;
  }

  // One request and its answer. A keep-alive connection the server closed while idle (EOF or reset
  // before any answer byte) is not the server's answer to this request: reconnect and send it again
  // once, without counting a retry.
  net::awaitable<Answer> exchange(beast::tcp_stream& stream, beast::flat_buffer& buffer, bool& open,
                                  const bhttp::request<bhttp::string_body>& req) {
    Answer a = co_await exchange_once(stream, buffer, open, req);
    if (a.stale_connection) a = co_await exchange_once(stream, buffer, open, req);
    co_return a;
  }

  net::awaitable<Answer> exchange_once(beast::tcp_stream& stream, beast::flat_buffer& buffer, bool& open,
                                       const bhttp::request<bhttp::string_body>& req) {
    Answer a;
    ++requests_;
    const bool reused = open;
    if (!open) {
      if (!endpoints_) {
        tcp::resolver resolver(co_await net::this_coro::executor);
        auto [ec, results] = co_await resolver.async_resolve(o_.url.host, o_.url.port, tuple_awaitable);
        if (ec) {
          a.network_error = true;
          a.error = "resolve " + o_.url.host + ": " + ec.message();
          co_return a;
        }
        endpoints_ = results;
      }
      stream.expires_after(o_.connect_timeout);
      auto [ec, endpoint] = co_await stream.async_connect(*endpoints_, tuple_awaitable);
      if (ec) {
        close(stream, open);
        a.network_error = true;
        a.error = "connect: " + ec.message();
        co_return a;
      }
      boost::system::error_code ignored;
      stream.socket().set_option(tcp::no_delay(true), ignored);
      buffer.clear();
      open = true;
    }
    const auto t0 = steady::now();
    stream.expires_after(o_.request_timeout);
    auto [wec, written] = co_await bhttp::async_write(stream, req, tuple_awaitable);
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(kMaxAnswerBytes);
    boost::system::error_code rec;
    if (!wec) std::tie(rec, std::ignore) = co_await bhttp::async_read(stream, buffer, parser, tuple_awaitable);
    if (wec || rec) {
      close(stream, open);
      a.network_error = true;
      const auto ec = wec ? wec : rec;
      a.error = std::string(wec ? "send: " : "receive: ") + ec.message();
      a.stale_connection = reused && !parser.got_some() &&
                           (ec == bhttp::error::end_of_stream || ec == net::error::eof ||
                            ec == net::error::connection_reset || ec == net::error::broken_pipe);
      co_return a;
    }
    stream.expires_never();
    latency_.record(std::chrono::duration<double, std::milli>(steady::now() - t0).count());
    auto res = parser.release();
    a.status = res.result_int();
    a.error = "HTTP " + std::to_string(a.status);
    if (const auto it = res.find(bhttp::field::retry_after); it != res.end())
      a.retry_after = parse_retry_after(std::string_view(it->value().data(), it->value().size()),
                                        std::chrono::system_clock::now());
    a.body = std::move(res.body());
    if (!res.keep_alive()) close(stream, open);
    co_return a;
  }

  void mark_accepted(int64_t id_index) {
    if (id_index < 0 || accepted_bits_.empty()) return;
    accepted_bits_[static_cast<std::size_t>(id_index / 64)] |= uint64_t{1} << (id_index % 64);
  }

  void account(const Answer& a, int64_t n, const std::vector<int64_t>& ids) {
    consecutive_giveups_ = 0;
    const auto parsed = parse_ingest_answer(a.body, n);
    if (!parsed && !warned_body_) {
      warned_body_ = true;
      progress_.message("publish: warning: a " + std::to_string(a.status) +
                        " answer body is not {accepted, duplicates, rejected:[{index}]}: " + a.body.substr(0, 200));
    }
    if (a.status == 422) {  // every event in the body was invalid
      rejected_ += n;
      return;
    }
    std::vector<bool> rejected(static_cast<std::size_t>(n), false);
    if (parsed) {
      for (const auto i : parsed->rejected_indexes) rejected[static_cast<std::size_t>(i)] = true;
      rejected_ += static_cast<int64_t>(parsed->rejected_indexes.size());
      accepted_ += n - static_cast<int64_t>(parsed->rejected_indexes.size());
      duplicates_ += parsed->duplicates;
    } else {
      accepted_ += n;
    }
    for (int64_t i = 0; i < n; ++i)
      if (!rejected[static_cast<std::size_t>(i)]) mark_accepted(ids[static_cast<std::size_t>(i)]);
  }

  void give_up(const Answer& a, int64_t n) {
    failed_ += n;
    if (!a.network_error && !retryable_status(a.status) && reported_failures_ < kReportedFailures) {
      ++reported_failures_;
      progress_.message("publish: request failed (not retried): " + a.error + ": " + a.body.substr(0, 300));
    }
    // Every connection gave up twice in a row with nothing answered in between: the target is not
    // going to take the rest either, so stop instead of grinding through the whole count.
    if (++consecutive_giveups_ >= 2 * std::max(1, active_) && !stopping_ && next_ < o_.count) {
      aborted_ = true;
      progress_.message("publish: giving up: " + std::to_string(consecutive_giveups_) +
                        " requests in a row failed; last error: " + a.error);
      stop();
    }
  }

  bhttp::request<bhttp::string_body> make_request(std::string body) const {
    bhttp::request<bhttp::string_body> req{bhttp::verb::post, o_.url.target, 11};
    req.set(bhttp::field::host, o_.url.host + ":" + o_.url.port);
    req.set(bhttp::field::user_agent, "eventhub-publish");
    req.set(bhttp::field::content_type, "application/json");
    req.keep_alive(true);
    if (!o_.api_key.empty()) req.set(bhttp::field::authorization, "Bearer " + o_.api_key);
    if (o_.gzip) {
      req.set(bhttp::field::content_encoding, "gzip");
      req.body() = gzip_compress(body);
    } else {
      req.body() = std::move(body);
    }
    req.prepare_payload();
    return req;
  }

  double jitter() { return static_cast<double>(jitter_() >> 11) * 0x1.0p-53; }

  net::awaitable<void> connection() {
    auto executor = co_await net::this_coro::executor;
    beast::tcp_stream stream(executor);
    net::steady_timer timer(executor);
    streams_.push_back(&stream);
    timers_.push_back(&timer);
    beast::flat_buffer buffer;
    bool open = false;
    std::vector<int64_t> ids;
    while (!stopping_ && next_ < o_.count) {
      const int64_t first = next_;
      const int64_t n = std::min<int64_t>(o_.batch, o_.count - first);
      next_ += n;
      if (o_.rate > 0) {  // one schedule shared by all connections: each batch books the next n/rate seconds
        const auto now = steady::now();
        const auto slot = std::max(now, next_slot_);
        next_slot_ = slot + std::chrono::duration_cast<steady::duration>(
                                std::chrono::duration<double>(static_cast<double>(n) / o_.rate));
        if (slot > now && !co_await sleep_until(timer, slot)) break;
      }
      std::string body;
      ids.clear();
      gen_.append_body(first, n, o_.batch > 1, body, ids);
      const auto req = make_request(std::move(body));
      if (!started_) {
        started_ = true;
        start_ = steady::now();
        start_unix_ms_ = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
      }
      sent_ += n;
      for (int attempt = 0;; ++attempt) {
        const Answer a = co_await exchange(stream, buffer, open, req);
        end_ = steady::now();
        if (a.status == 202 || a.status == 422) {
          account(a, n, ids);
          break;
        }
        ++errors_;
        ++error_counts_[a.error];
        if (!(a.network_error || retryable_status(a.status)) || attempt >= o_.max_retries || stopping_) {
          give_up(a, n);
          break;
        }
        ++retries_;
        const auto delay = backoff_delay(o_.backoff, attempt, a.retry_after, jitter());
        if (!co_await sleep_until(timer, steady::now() + delay)) {
          give_up(a, n);
          break;
        }
      }
    }
    stream.close();
    streams_.erase(std::find(streams_.begin(), streams_.end(), &stream));
    timers_.erase(std::find(timers_.begin(), timers_.end(), &timer));
    if (--active_ == 0) {
      progress_timer_.cancel();
      if (signals_ != nullptr) signals_->cancel();
    }
  }

  const LoadOptions& o_;
  const EventGenerator& gen_;
  ProgressDisplay& progress_;
  net::io_context io_{1};
  std::mt19937_64 jitter_;
  net::steady_timer progress_timer_;
  net::signal_set* signals_ = nullptr;
  std::vector<beast::tcp_stream*> streams_;
  std::vector<net::steady_timer*> timers_;
  std::optional<tcp::resolver::results_type> endpoints_;
  const steady::time_point created_ = steady::now();

  int active_ = 0;
  int64_t next_ = 0;
  steady::time_point next_slot_{};
  bool stopping_ = false;
  bool interrupted_ = false;
  bool aborted_ = false;
  bool started_ = false;
  steady::time_point start_{}, end_{};
  int64_t start_unix_ms_ = 0;

  int64_t sent_ = 0, accepted_ = 0, duplicates_ = 0, rejected_ = 0, failed_ = 0;
  int64_t requests_ = 0, retries_ = 0, errors_ = 0;
  int consecutive_giveups_ = 0;
  int reported_failures_ = 0;
  bool warned_body_ = false;
  std::map<std::string, int64_t> error_counts_;
  std::vector<uint64_t> accepted_bits_;
  LatencyHistogram latency_;
};

}  // namespace

std::optional<HttpUrl> parse_http_url(std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  if (url.substr(0, kScheme.size()) != kScheme) return std::nullopt;
  url.remove_prefix(kScheme.size());
  const auto slash = url.find('/');
  const std::string_view authority = url.substr(0, slash);
  HttpUrl out;
  out.target = slash == std::string_view::npos ? "/" : std::string(url.substr(slash));
  std::string_view host = authority, port = "80";
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host = authority.substr(1, close - 1);
    const auto rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return std::nullopt;
      port = rest.substr(1);
    }
  } else if (const auto colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (host.empty() || port.empty() || port.size() > 5 ||
      !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
      std::stoi(std::string(port)) < 1 || std::stoi(std::string(port)) > 65535)
    return std::nullopt;
  out.host = std::string(host);
  out.port = std::string(port);
  return out;
}

std::string gzip_compress(std::string_view data) {
  z_stream zs{};
  if (deflateInit2(&zs, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    throw std::runtime_error("gzip: deflateInit2 failed");
  std::string out(deflateBound(&zs, static_cast<uLong>(data.size())), '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&zs, Z_FINISH);
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) throw std::runtime_error("gzip: deflate failed");
  out.resize(zs.total_out);
  return out;
}

Summary run_load(const LoadOptions& options, const EventGenerator& generator, ProgressDisplay& progress) {
  if (options.count < 0 || options.batch < 1 || options.connections < 1)
    throw std::invalid_argument("publish: count >= 0, batch >= 1 and connections >= 1 are required");
  Load load(options, generator, progress);
  return load.run();
}

}  // namespace eventhub::publish
