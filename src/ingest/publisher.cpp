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
  explicit Batch(const net::any_io_executor& ex) : timer(ex) {}
  net::steady_timer timer;                 // touched only on the request's executor
  std::atomic<std::size_t> remaining{0};
  std::atomic<std::size_t> duplicates{0};
  std::atomic<std::size_t> facebook_duplicates{0};
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
  jsOptions options;
  nats::Connection::default_js_options(options);
  options.PublishAsync.AckHandler = &Publisher::on_ack;
  options.PublishAsync.AckHandlerClosure = this;
  // Our own limit (429) is checked before publishing; cnats' limit only guards against a bug.
  options.PublishAsync.MaxPending = static_cast<int64_t>(config_.max_inflight_publishes) + 1024;
  options.PublishAsync.StallWait = 50;
  nats::check(natsConnection_JetStream(&js_, connection_.raw(), &options), "JetStream context for publishing");
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
  // cnats 3.4 crashes in js_PublishAsyncGetPendingList on a context that never published
  // asynchronously, so only ask when something is still in flight.
  if (js_ != nullptr && inflight_.load() > 0) {
    natsMsgList pending{};
    if (js_PublishAsyncGetPendingList(&pending, js_) == NATS_OK) {
      for (int i = 0; i < pending.Count; ++i) untrack(pending.Msgs[i]);
      natsMsgList_Destroy(&pending);
    }
  }
  if (js_ != nullptr) jsCtx_Destroy(js_);
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
      nats::ensure_streams(connection_.js(), config_.nats);
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

Publisher::Shard& Publisher::shard_of(natsMsg* msg) {
  const auto h = std::hash<const void*>{}(msg) >> 4;
  return shards_[h % kShards];
}

void Publisher::track(natsMsg* msg, const std::shared_ptr<Batch>& batch) {
  Shard& s = shard_of(msg);
  std::lock_guard lock(s.mutex);
  s.pending.emplace(msg, batch);
}

std::shared_ptr<Publisher::Batch> Publisher::untrack(natsMsg* msg) {
  Shard& s = shard_of(msg);
  std::lock_guard lock(s.mutex);
  auto& map = s.pending;
  auto it = map.find(msg);
  if (it == map.end()) return nullptr;
  auto batch = std::move(it->second);
  map.erase(it);
  return batch;
}

void Publisher::on_ack(jsCtx*, natsMsg* msg, jsPubAck* pa, jsPubAckErr* pae, void* closure) {
  static_cast<Publisher*>(closure)->handle_ack(msg, pa, pae);
}

void Publisher::handle_ack(natsMsg* msg, jsPubAck* pa, jsPubAckErr* pae) {
  auto batch = untrack(msg);
  struct Destroy {
    natsMsg* m;
    ~Destroy() { natsMsg_Destroy(m); }
  } destroy{msg};
  inflight_.fetch_sub(1, std::memory_order_relaxed);
  metrics_.inflight_add(-1);
  if (!batch) return;
  metrics_.publish_latency(std::chrono::duration<double>(Clock::now() - batch->started).count());
  if (pa != nullptr && pae == nullptr) {
    if (pa->Duplicate) {
      batch->duplicates.fetch_add(1, std::memory_order_relaxed);
      const char* subject = natsMsg_GetSubject(msg);
      if (subject != nullptr && std::string_view(subject).find(".facebook.") != std::string_view::npos)
        batch->facebook_duplicates.fetch_add(1, std::memory_order_relaxed);
      metrics_.publish(IngestMetrics::PublishOutcome::duplicate);
    } else {
      metrics_.publish(IngestMetrics::PublishOutcome::ok);
    }
  } else {
    batch->failed.fetch_add(1, std::memory_order_relaxed);
    const natsStatus err = pae != nullptr ? pae->Err : NATS_ERR;
    if (err == NATS_TIMEOUT) {
      batch->timeouts.fetch_add(1, std::memory_order_relaxed);
      metrics_.publish(IngestMetrics::PublishOutcome::timeout);
      batch->set_detail("no PubAck within " + std::to_string(config_.publish_timeout.count()) + " ms");
    } else {
      metrics_.publish(IngestMetrics::PublishOutcome::error);
      std::string text = natsStatus_GetText(err);
      if (pae != nullptr && pae->ErrCode != 0) text += " (jsErrCode " + std::to_string(static_cast<int>(pae->ErrCode)) + ")";
      if (pae != nullptr && pae->ErrText != nullptr) {
        text += ": ";
        text += pae->ErrText;
      }
      batch->set_detail(std::move(text));
      if (err == NATS_NO_RESPONDERS || (pae != nullptr && pae->ErrCode == JSStreamNotFoundErr)) {
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
  auto batch = std::make_shared<Batch>(executor);
  batch->remaining = n;
  batch->started = Clock::now();

  jsPubOptions options;
  jsPubOptions_Init(&options);
  options.MaxWait = config_.publish_timeout.count();
  std::size_t published = 0;
  for (const auto& e : events) {
    natsMsg* msg = nullptr;
    natsStatus s = natsMsg_Create(&msg, e.subject.data(), nullptr, e.payload.data(), static_cast<int>(e.payload.size()));
    if (s == NATS_OK) {
      options.MsgId = e.event_id.data();
      natsMsg* const raw = msg;
      track(raw, batch);
      s = js_PublishMsgAsync(js_, &msg, &options);
      if (s != NATS_OK) untrack(raw);
    }
    if (s != NATS_OK) {
      natsMsg_Destroy(msg);
      batch->set_detail(nats::describe("publish", s));
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
  result.facebook_duplicates = batch->facebook_duplicates.load();
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
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  if (inflight_.load() <= 0) return;
  jsPubOptions options;
  jsPubOptions_Init(&options);
  options.MaxWait = std::max<int64_t>(left, 1);
  const natsStatus s = js_PublishAsyncComplete(js_, &options);
  if (s != NATS_OK)
    log::warn("publishes still unacknowledged at shutdown", "inflight", inflight_.load(), "status", natsStatus_GetText(s));
}

}  // namespace eventhub::ingest
