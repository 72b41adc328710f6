#pragma once
// RAII adapter over a cnats connection and its JetStream context. Two ways to connect:
//  * the constructor (roles): the first connect is retried and the connection reconnects forever in
//    the background, so a role can start while NATS is down and report not-ready until it is back;
//  * connect_once (the dlq tool): one attempt, no reconnects; unreachable NATS is an Error at once.
// cnats callbacks run on cnats threads and only touch atomics here. The cnats handles stay inside
// eventhub::nats (see src/nats/access.hpp): roles use Message, PullSubscription, AsyncPublisher and
// the calls of jetstream.hpp.

#include <eventhub/common/config.hpp>
#include <eventhub/nats/status.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

namespace eventhub::nats {

namespace detail {
struct Access;
}

class Connection {
 public:
  // Background connect (see above). Throws Error only on a bad configuration.
  Connection(const common::NatsConfig& config, std::string client_name);
  // One connect attempt (timeout: --nats-connect-timeout-ms, at least 500 ms), never reconnects.
  // Throws Error "NATS unreachable at <url>: …" when it fails.
  static std::unique_ptr<Connection> connect_once(const common::NatsConfig& config, std::string client_name);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Connected, and the on_connected callback for this connection has run: code that re-checks its
  // setup after a reconnect (ingest's streams) is never seen as ready on the old setup's word.
  bool connected() const;

  // Called (on a cnats thread) after every (re)connect; keep it short: post or set a flag.
  void on_connected(std::function<void()> callback);

  // Pushes buffered publishes (acks are publishes too) to the server.
  Status flush(std::chrono::milliseconds timeout);

  // Flushes buffered publishes and closes; safe to call twice.
  void close();

 private:
  friend struct detail::Access;
  enum class Mode { background, once };
  Connection(const common::NatsConfig& config, std::string client_name, Mode mode);
  void open_in_background(const common::NatsConfig& config);
  void open_once(const common::NatsConfig& config);

  static void handle_connected(natsConnection*, void* self);
  static void handle_disconnected(natsConnection*, void* self);
  static void handle_reconnected(natsConnection*, void* self);
  static void handle_error(natsConnection*, natsSubscription*, natsStatus, void* self);
  static void handle_closed(natsConnection*, void* self);
  void notify_connected();

  std::string url_;
  std::string name_;
  natsOptions* options_ = nullptr;
  natsConnection* conn_ = nullptr;
  jsCtx* js_ = nullptr;
  std::atomic<bool> ever_connected_{false};
  std::atomic<bool> callback_done_{false};  // false from a disconnect until on_connected has run
  std::atomic<bool> closing_{false};  // our own close(): a disconnect then is expected
  mutable std::mutex callback_mutex_;  // on_connected may be set while cnats calls it
  std::function<void()> on_connected_;
  // cnats runs callbacks on its own thread, after natsConnection_Close returns: the destructor waits
  // for the closed callback (the last one) so no callback touches a destroyed Connection.
  std::mutex closed_mutex_;
  std::condition_variable closed_cv_;
  bool closed_ = false;
};

// Creates or updates the event stream (file storage, discard-new, work-queue retention, subjects
// <prefix>.>, duplicate window) and the dead-letter stream (file storage, limits retention, no
// limits: dead letters are kept until replayed). Blocking; throws Error.
void ensure_streams(Connection& connection, const common::NatsConfig& config);
// The same on a JetStream context the caller made itself (tests that drive cnats directly).
void ensure_streams(jsCtx* js, const common::NatsConfig& config);

}  // namespace eventhub::nats
