#pragma once
// RAII adapter over a cnats connection and its JetStream context. Created by a role at start; the
// connection retries the first connect and reconnects forever in the background, so a role can
// start while NATS is down and report not-ready until it is back. cnats callbacks run on cnats
// threads and only touch atomics here.

#include <eventhub/common/config.hpp>

#include <nats/nats.h>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <mutex>
#include <stdexcept>
#include <string>

namespace eventhub::nats {

// A failed cnats call, with the JetStream error code when the server sent one.
class Error : public std::runtime_error {
 public:
  Error(std::string what, natsStatus status, jsErrCode js_code = static_cast<jsErrCode>(0));
  natsStatus status() const { return status_; }
  jsErrCode js_code() const { return js_code_; }

 private:
  natsStatus status_;
  jsErrCode js_code_;
};

// "what: <status text> (jsErrCode N): <last error>"; also used for logging.
std::string describe(std::string_view what, natsStatus status, jsErrCode js_code = static_cast<jsErrCode>(0));
// Throws Error unless status is NATS_OK.
void check(natsStatus status, std::string_view what, jsErrCode js_code = static_cast<jsErrCode>(0));

class Connection {
 public:
  Connection(const common::NatsConfig& config, std::string client_name);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  natsConnection* raw() const { return conn_; }
  jsCtx* js() const { return js_; }
  // Connected, and the on_connected callback for this connection has run: code that re-checks its
  // setup after a reconnect (ingest's streams) is never seen as ready on the old setup's word.
  bool connected() const;
  const common::NatsConfig& config() const { return config_; }

  // Called (on a cnats thread) after every (re)connect; keep it short: post or set a flag.
  void on_connected(std::function<void()> callback);

  // Flushes buffered publishes and closes; safe to call twice.
  void close();

  // JetStream options used for this context's async publishes (set by ingest before first use).
  static void default_js_options(jsOptions& options);

 private:
  static void handle_connected(natsConnection*, void* self);
  static void handle_disconnected(natsConnection*, void* self);
  static void handle_reconnected(natsConnection*, void* self);
  static void handle_error(natsConnection*, natsSubscription*, natsStatus, void* self);
  static void handle_closed(natsConnection*, void* self);

  common::NatsConfig config_;
  std::string name_;
  natsOptions* options_ = nullptr;
  natsConnection* conn_ = nullptr;
  jsCtx* js_ = nullptr;
  std::atomic<bool> ever_connected_{false};
  std::atomic<bool> callback_done_{false};  // false from a disconnect until on_connected has run
  std::atomic<bool> closing_{false};  // our own close(): a disconnect then is expected
  mutable std::mutex callback_mutex_;  // on_connected may be set while cnats calls it
  std::function<void()> on_connected_;
  void notify_connected();
  // cnats runs callbacks on its own thread, after natsConnection_Close returns: the destructor waits
  // for the closed callback (the last one) so no callback touches a destroyed Connection.
  std::mutex closed_mutex_;
  std::condition_variable closed_cv_;
  bool closed_ = false;
};

// Creates or updates the event stream (file storage, discard-new, work-queue retention, subjects
// <prefix>.>, duplicate window) and the dead-letter stream (file storage, limits retention, no
// limits: dead letters are kept until replayed). Blocking; throws Error.
void ensure_streams(jsCtx* js, const common::NatsConfig& config);

}  // namespace eventhub::nats
