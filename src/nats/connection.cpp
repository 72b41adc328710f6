#include <eventhub/nats/connection.hpp>

#include <eventhub/common/log.hpp>

#include "access.hpp"

#include <algorithm>
#include <chrono>
#include <mutex>

namespace eventhub::nats {

namespace {
std::once_flag g_library_once;

int64_t to_nanos(std::chrono::nanoseconds d) { return d.count(); }
}  // namespace

Connection::Connection(const common::NatsConfig& config, std::string client_name)
    : Connection(config, std::move(client_name), Mode::background) {}

std::unique_ptr<Connection> Connection::connect_once(const common::NatsConfig& config, std::string client_name) {
  return std::unique_ptr<Connection>(new Connection(config, std::move(client_name), Mode::once));
}

Connection::Connection(const common::NatsConfig& config, std::string client_name, Mode mode)
    : url_(config.url), name_(std::move(client_name)) {
  std::call_once(g_library_once, [] { check(nats_Open(-1), "nats_Open"); });
  try {
    if (mode == Mode::once)
      open_once(config);
    else
      open_in_background(config);
    jsOptions js_options;
    detail::default_js_options(js_options);
    check(natsConnection_JetStream(&js_, conn_, &js_options), "JetStream context");
  } catch (...) {
    // No destructor runs for a half-built object: close, and wait for the closed callback, here.
    if (conn_) {
      closing_ = true;
      natsConnection_Close(conn_);
      std::unique_lock lock(closed_mutex_);
      closed_cv_.wait_for(lock, std::chrono::seconds(2), [this] { return closed_; });
      lock.unlock();
      natsConnection_Destroy(conn_);
    }
    if (options_) natsOptions_Destroy(options_);
    throw;
  }
}

void Connection::open_in_background(const common::NatsConfig& config) {
  check(natsOptions_Create(&options_), "natsOptions_Create");
  check(natsOptions_SetURL(options_, url_.c_str()), "NATS URL '" + url_ + "'");
  check(natsOptions_SetName(options_, name_.c_str()), "natsOptions_SetName");
  check(natsOptions_SetTimeout(options_, config.connect_timeout.count()), "natsOptions_SetTimeout");
  check(natsOptions_SetMaxReconnect(options_, -1), "natsOptions_SetMaxReconnect");
  check(natsOptions_SetReconnectWait(options_, 250), "natsOptions_SetReconnectWait");
  check(natsOptions_SetReconnectJitter(options_, 100, 1000), "natsOptions_SetReconnectJitter");
  // Notice a dead server within seconds, not the default two minutes.
  check(natsOptions_SetPingInterval(options_, 2000), "natsOptions_SetPingInterval");
  check(natsOptions_SetMaxPingsOut(options_, 2), "natsOptions_SetMaxPingsOut");
  // Big pending buffers: one worker fetch can be thousands of messages.
  check(natsOptions_SetMaxPendingMsgs(options_, 1'000'000), "natsOptions_SetMaxPendingMsgs");
  check(natsOptions_SetDisconnectedCB(options_, &Connection::handle_disconnected, this), "SetDisconnectedCB");
  check(natsOptions_SetReconnectedCB(options_, &Connection::handle_reconnected, this), "SetReconnectedCB");
  check(natsOptions_SetErrorHandler(options_, &Connection::handle_error, this), "SetErrorHandler");
  check(natsOptions_SetClosedCB(options_, &Connection::handle_closed, this), "SetClosedCB");
  check(natsOptions_SetRetryOnFailedConnect(options_, true, &Connection::handle_connected, this),
        "SetRetryOnFailedConnect");

  const natsStatus s = natsConnection_Connect(&conn_, options_);
  if (s == NATS_NOT_YET_CONNECTED) {
    log::warn("NATS not reachable yet; connecting in the background", "url", url_, "client", name_);
  } else {
    check(s, "connect to NATS at " + url_);
    ever_connected_ = true;
    callback_done_ = true;  // no callback yet to wait for: on_connected is set after construction
    log::info("NATS connected", "url", url_, "client", name_);
  }
}

void Connection::open_once(const common::NatsConfig& config) {
  // A tool, not a role: no reconnects, no retry of the first connect, no log lines of its own.
  natsStatus s = natsOptions_Create(&options_);
  if (s == NATS_OK) s = natsOptions_SetURL(options_, url_.c_str());
  if (s == NATS_OK) s = natsOptions_SetTimeout(options_, std::max<int64_t>(500, config.connect_timeout.count()));
  if (s == NATS_OK) s = natsOptions_SetName(options_, name_.c_str());
  if (s == NATS_OK) s = natsOptions_SetMaxReconnect(options_, 0);
  if (s == NATS_OK) s = natsOptions_SetClosedCB(options_, &Connection::handle_closed, this);
  if (s == NATS_OK) s = natsConnection_Connect(&conn_, options_);
  check(s, "NATS unreachable at " + url_);
  ever_connected_ = true;
  callback_done_ = true;
}

void detail::default_js_options(jsOptions& options) {
  jsOptions_Init(&options);
  options.Wait = 5000;
}

Connection::~Connection() {
  close();
  if (conn_) {
    std::unique_lock lock(closed_mutex_);
    closed_cv_.wait_for(lock, std::chrono::seconds(2), [this] { return closed_; });
  }
  if (js_) jsCtx_Destroy(js_);
  if (conn_) natsConnection_Destroy(conn_);
  if (options_) natsOptions_Destroy(options_);
}

void Connection::close() {
  closing_ = true;
  if (conn_ && !natsConnection_IsClosed(conn_)) {
    if (connected()) natsConnection_FlushTimeout(conn_, 2000);
    natsConnection_Close(conn_);
  }
}

Status Connection::flush(std::chrono::milliseconds timeout) {
  return Status::capture(natsConnection_FlushTimeout(conn_, timeout.count()));
}

bool Connection::connected() const {
  return conn_ != nullptr && callback_done_ && natsConnection_Status(conn_) == NATS_CONN_STATUS_CONNECTED;
}

void Connection::on_connected(std::function<void()> callback) {
  std::lock_guard lock(callback_mutex_);
  on_connected_ = std::move(callback);
}

void Connection::notify_connected() {
  std::function<void()> callback;
  {
    std::lock_guard lock(callback_mutex_);
    callback = on_connected_;
  }
  if (callback) callback();
  callback_done_ = true;
}

void Connection::handle_connected(natsConnection*, void* self) {
  auto* c = static_cast<Connection*>(self);
  c->ever_connected_ = true;
  log::info("NATS connected", "url", c->url_, "client", c->name_);
  c->notify_connected();
}

void Connection::handle_disconnected(natsConnection*, void* self) {
  auto* c = static_cast<Connection*>(self);
  c->callback_done_ = false;
  if (c->ever_connected_ && !c->closing_) log::warn("NATS disconnected; reconnecting", "url", c->url_, "client", c->name_);
}

void Connection::handle_reconnected(natsConnection*, void* self) {
  auto* c = static_cast<Connection*>(self);
  log::info("NATS reconnected", "url", c->url_, "client", c->name_);
  c->notify_connected();
}

void Connection::handle_closed(natsConnection*, void* self) {
  auto* c = static_cast<Connection*>(self);
  std::lock_guard lock(c->closed_mutex_);
  c->closed_ = true;
  c->closed_cv_.notify_all();
}

void Connection::handle_error(natsConnection*, natsSubscription*, natsStatus status, void* self) {
  auto* c = static_cast<Connection*>(self);
  log::warn("NATS asynchronous error", "client", c->name_, "error", Status::with_detail(status, {}, {}).text());
}

namespace {
void add_or_update(jsCtx* js, jsStreamConfig& cfg) {
  jsErrCode code = static_cast<jsErrCode>(0);
  jsStreamInfo* info = nullptr;
  natsStatus s = js_AddStream(&info, js, &cfg, nullptr, &code);
  if (s == NATS_OK) {
    log::info("JetStream stream created", "stream", cfg.Name);
  } else if (code == JSStreamNameExistErr) {
    code = static_cast<jsErrCode>(0);
    s = js_UpdateStream(&info, js, &cfg, nullptr, &code);
    check(s, std::string("update stream ") + cfg.Name, code);
  } else {
    check(s, std::string("create stream ") + cfg.Name, code);
  }
  if (info) jsStreamInfo_Destroy(info);
}
}  // namespace

void ensure_streams(Connection& connection, const common::NatsConfig& config) {
  ensure_streams(detail::Access::js(connection), config);
}

void ensure_streams(jsCtx* js, const common::NatsConfig& config) {
  const std::string events_subject = config.subject_prefix + ".>";
  const char* events_subjects[] = {events_subject.c_str()};
  jsStreamConfig events;
  jsStreamConfig_Init(&events);
  events.Name = config.stream.c_str();
  events.Description = "eventhub: accepted webhook events awaiting persistence";
  events.Subjects = events_subjects;
  events.SubjectsLen = 1;
  events.Storage = js_FileStorage;
  // Work queue: a message leaves the stream once the worker acked it, so the stream only holds the
  // backlog. Discard-new: when full, publishing fails (ingest answers 503) instead of deleting
  // unread events, which discard-old would do silently.
  events.Retention = js_WorkQueuePolicy;
  events.Discard = js_DiscardNew;
  events.MaxBytes = config.stream_max_bytes;
  events.MaxMsgs = config.stream_max_msgs;
  events.MaxAge = to_nanos(config.stream_max_age);
  events.Duplicates = to_nanos(config.duplicate_window);
  events.Replicas = config.replicas;
  add_or_update(js, events);

  const std::string dlq_subject = config.dlq_subject_prefix + ".>";
  const char* dlq_subjects[] = {dlq_subject.c_str()};
  jsStreamConfig dlq;
  jsStreamConfig_Init(&dlq);
  dlq.Name = config.dlq_stream.c_str();
  dlq.Description = "eventhub: dead letters (payload, headers, reason), kept until replayed";
  dlq.Subjects = dlq_subjects;
  dlq.SubjectsLen = 1;
  dlq.Storage = js_FileStorage;
  dlq.Retention = js_LimitsPolicy;
  dlq.Discard = js_DiscardNew;
  dlq.Replicas = config.replicas;
  add_or_update(js, dlq);
}

}  // namespace eventhub::nats
