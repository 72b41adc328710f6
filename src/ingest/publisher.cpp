#include <eventhub/ingest/publisher.hpp>

#include <eventhub/common/log.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <functional>
#include <unordered_map>

namespace eventhub::ingest {

namespace net = boost::asio;
using Clock = std::chrono::steady_clock;

struct Publisher::Batch {
  Batch(const net::any_io_executor& ex, std::size_t n) : timer(ex), duplicate(new std::atomic<bool>[n]) {
    for (std::size_t i = 0; i < n; ++i) duplicate[i] = false;
  }
  net::steady_timer timer;                 // touched only on the request's executor
  std::atomic<std::size_t> remaining{0};
  std::atomic<std::size_t> duplicates{0};
  std::unique_ptr<std::atomic<bool>[]> duplicate;  // per event index, set on cnats threads
  std::atomic<std::size_t> failed{0};
  std::atomic<std::size_t> timeouts{0};
  Clock::time_point started;
  std::mutex detail_mutex;
  std::string detail;                      // first failure

  void set_detail(std::string text) {
    std::lock_guard lock(detail_mutex);
    if (detail.empty()) detail = std::move(text);
  }
};

Publisher::Publisher(nats::Connection& connection, const common::IngestConfig& config, IngestMetrics& metrics)
    : connection_(connection), config_(config), metrics_(metrics), shards_(kShards) {
  nats::AsyncPublisher::Options options;
  // Our own limit (429) is checked before publishing; cnats' limit only guards against a bug.
  options.max_pending = static_cast<int64_t>(config_.max_inflight_publishes) + 1024;
  options.stall_wait = std::chrono::milliseconds(50);
  async_ = std::make_unique<nats::AsyncPublisher>(connection_, options,
                                                  [this](const nats::AsyncAck& ack) { handle_ack(ack); });
  connection_.on_connected([this] {
    // cnats thread: only flag and notify.
    streams_ready_ = false;
    {
      std::lock_guard lock(setup_mutex_);
      setup_requested_ = true;
    }
    setup_cv_.notify_one();
  });
  setup_thread_ = std::thread([this] { setup_loop(); });
}

Publisher::~Publisher() {
  {
    std::lock_guard lock(setup_mutex_);
    stopping_ = true;
  }
  setup_cv_.notify_one();
  if (setup_thread_.joinable()) setup_thread_.join();
  connection_.on_connected(nullptr);
  if (inflight_.load() > 0)
    for (const nats::MessageKey key : async_->abandon_pending()) untrack(key);
  async_.reset();
}

bool Publisher::ready() const { return streams_ready_.load() && connection_.connected(); }

std::string Publisher::not_ready_reason() const {
  if (!connection_.connected()) return "not connected to NATS";
  if (!streams_ready_.load()) {
    std::lock_guard lock(setup_mutex_);
    return setup_error_.empty() ? "JetStream streams not set up yet" : "JetStream streams not set up: " + setup_error_;
  }
  return "ok";
}

void Publisher::setup_loop() {
  std::string last_logged;
  for (;;) {
    std::unique_lock lock(setup_mutex_);
    setup_cv_.wait_for(lock, std::chrono::seconds(1), [this] { return stopping_ || setup_requested_; });
    if (stopping_) return;
    const bool requested = setup_requested_;
    setup_requested_ = false;
    lock.unlock();
    if (!requested && streams_ready_.load()) continue;
    if (!connection_.connected()) continue;
    try {
      nats::ensure_streams(connection_, config_.nats);
      streams_ready_ = true;
      lock.lock();
      setup_error_.clear();
      lock.unlock();
      last_logged.clear();
      log::info("JetStream streams ready", "stream", config_.nats.stream);
    } catch (const std::exception& e) {
      streams_ready_ = false;
      lock.lock();
      setup_error_ = e.what();
      lock.unlock();
      if (last_logged != e.what()) {
        log::warn("JetStream stream setup failed; retrying", "error", e.what());
        last_logged = e.what();
      }
    }
  }
}

Publisher::Shard& Publisher::shard_of(nats::MessageKey key) {
  // The key is an address: its low bits are alignment, always the same.
  return shards_[(key >> 4) % kShards];
}

void Publisher::track(nats::MessageKey key, const std::shared_ptr<Batch>& batch, std::size_t index) {
  Shard& s = shard_of(key);
  std::lock_guard lock(s.mutex);
  s.pending.emplace(key, std::make_pair(batch, index));
}

std::pair<std::shared_ptr<Publisher::Batch>, std::size_t> Publisher::untrack(nats::MessageKey key) {
  Shard& s = shard_of(key);
  std::lock_guard lock(s.mutex);
  auto& map = s.pending;
  auto it = map.find(key);
  if (it == map.end()) return {nullptr, 0};
  auto tracked = std::move(it->second);
  map.erase(it);
  return tracked;
}

// On a cnats thread.
void Publisher::handle_ack(const nats::AsyncAck& ack) {
  auto [batch, index] = untrack(ack.key);
  inflight_.fetch_sub(1, std::memory_order_relaxed);
  metrics_.inflight_add(-1);
  if (!batch) return;
  metrics_.publish_latency(std::chrono::duration<double>(Clock::now() - batch->started).count());
  if (ack.status.ok()) {
    if (ack.duplicate) {
      batch->duplicates.fetch_add(1, std::memory_order_relaxed);
      batch->duplicate[index].store(true, std::memory_order_relaxed);
      metrics_.publish(IngestMetrics::PublishOutcome::duplicate);
    } else {
      metrics_.publish(IngestMetrics::PublishOutcome::ok);
    }
  } else {
    batch->failed.fetch_add(1, std::memory_order_relaxed);
    if (ack.status.timed_out()) {
      batch->timeouts.fetch_add(1, std::memory_order_relaxed);
      metrics_.publish(IngestMetrics::PublishOutcome::timeout);
      batch->set_detail("no PubAck within " + std::to_string(config_.publish_timeout.count()) + " ms");
    } else {
      metrics_.publish(IngestMetrics::PublishOutcome::error);
      batch->set_detail(ack.status.text());
      if (ack.status.no_responders() || ack.status.stream_missing()) {
        // JetStream off or the stream is gone: set it up again (the loop retries every second).
        streams_ready_ = false;
      }
    }
  }
  if (batch->remaining.fetch_sub(1, std::memory_order_acq_rel) == 1) {
    net::post(batch->timer.get_executor(), [batch] { batch->timer.cancel(); });
  }
}

net::awaitable<PublishResult> Publisher::publish(const std::vector<OutgoingEvent>& events) {
  const std::size_t n = events.size();
  PublishResult result;
  if (n == 0) co_return result;
  if (!ready()) {
    metrics_.publish(IngestMetrics::PublishOutcome::unavailable, n);
    result.kind = PublishResult::Kind::unavailable;
    result.detail = not_ready_reason();
    co_return result;
  }
  const auto max = static_cast<std::int64_t>(config_.max_inflight_publishes);
  const auto before = inflight_.fetch_add(static_cast<std::int64_t>(n), std::memory_order_relaxed);
  if (before + static_cast<std::int64_t>(n) > max) {
    inflight_.fetch_sub(static_cast<std::int64_t>(n), std::memory_order_relaxed);
    metrics_.publish(IngestMetrics::PublishOutcome::overloaded, n);
    result.kind = PublishResult::Kind::overloaded;
    result.detail = "too many publishes in flight (limit " + std::to_string(max) + ")";
    co_return result;
  }
  metrics_.inflight_add(static_cast<double>(n));

  auto executor = co_await net::this_coro::executor;
  auto batch = std::make_shared<Batch>(executor, n);
  batch->remaining = n;
  batch->started = Clock::now();

  std::size_t published = 0;
  for (const auto& e : events) {
    const std::size_t index = published;
    nats::Status s;
    nats::Message msg = nats::Message::create(e.subject.data(), e.payload, s);
    if (s.ok()) {
      // Tracked before publishing: the PubAck may arrive before publish() returns.
      const nats::MessageKey key = msg.key();
      track(key, batch, index);
      s = async_->publish(std::move(msg), e.event_id.data(), config_.publish_timeout);
      if (!s.ok()) untrack(key);
    }
    if (!s.ok()) {
      batch->set_detail(s.describe("publish"));
      break;
    }
    ++published;
  }
  if (published < n) {
    const std::size_t unpublished = n - published;
    batch->failed.fetch_add(unpublished);
    inflight_.fetch_sub(static_cast<std::int64_t>(unpublished), std::memory_order_relaxed);
    metrics_.inflight_add(-static_cast<double>(unpublished));
    metrics_.publish(IngestMetrics::PublishOutcome::error, unpublished);
    batch->remaining.fetch_sub(unpublished);
  }

  bool timed_out = false;
  if (batch->remaining.load(std::memory_order_acquire) > 0) {
    // Every published message gets a callback within MaxWait; the timer is a safety net.
    batch->timer.expires_after(config_.publish_timeout + std::chrono::seconds(1));
    auto [ec] = co_await batch->timer.async_wait(net::as_tuple(net::use_awaitable));
    timed_out = !ec && batch->remaining.load(std::memory_order_acquire) > 0;
  }
  result.duplicates = batch->duplicates.load();
  result.duplicate.resize(n);
  for (std::size_t i = 0; i < n; ++i) result.duplicate[i] = batch->duplicate[i].load(std::memory_order_relaxed);
  if (timed_out || batch->timeouts.load() > 0) {
    result.kind = PublishResult::Kind::timeout;
  } else if (batch->failed.load() > 0) {
    result.kind = PublishResult::Kind::error;
  }
  if (result.kind != PublishResult::Kind::ok) {
    std::lock_guard lock(batch->detail_mutex);
    result.detail = batch->detail.empty() ? "no PubAck in time" : batch->detail;
  }
  co_return result;
}

void Publisher::drain(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  if (inflight_.load() <= 0) return;
  const nats::Status s = async_->complete(std::max(left, std::chrono::milliseconds(1)));
  if (!s.ok())
    log::warn("publishes still unacknowledged at shutdown", "inflight", inflight_.load(), "status", s.text());
}

}  // namespace eventhub::ingest
