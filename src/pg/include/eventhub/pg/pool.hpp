#pragma once
// A bounded PostgreSQL connection pool (min idle, max total). Created by a role, shared by that
// role's blocking threads; destroyed after they stopped. acquire() blocks up to the acquire timeout.
// A connection returned in a bad state is dropped, so the pool heals after a database restart.
// A background thread keeps `min` connections open and probes the database for readiness.

#include <eventhub/common/config.hpp>
#include <eventhub/pg/connection.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

namespace prometheus {
class Registry;
class Gauge;
}  // namespace prometheus

namespace eventhub::pg {

struct PoolOptions {
  std::string url;
  std::string name = "pool";          // metrics label: worker | analytics
  int min = 1;
  int max = 10;
  std::chrono::milliseconds connect_timeout{5'000};
  std::chrono::milliseconds acquire_timeout{5'000};
  std::chrono::milliseconds probe_interval{1'000};
  std::vector<std::string> session_setup;  // statements run on every new connection (SET …)
  // Apply sql/ migrations (on a separate plain connection) whenever the database becomes reachable
  // after being unreachable, so a role started before its database still gets the schema.
  bool migrate_when_reachable = false;

  static PoolOptions from(const common::DatabaseConfig& db, std::string name);
};

class Pool;

class PooledConnection {
 public:
  PooledConnection() = default;
  PooledConnection(Pool* pool, Connection conn) : pool_(pool), conn_(std::move(conn)), valid_(true) {}
  ~PooledConnection();
  PooledConnection(PooledConnection&& o) noexcept;
  PooledConnection& operator=(PooledConnection&& o) noexcept;

  Connection& operator*() { return conn_; }
  Connection* operator->() { return &conn_; }
  // Do not reuse this connection (e.g. after a failure that left it in doubt).
  void discard() { discard_ = true; }

 private:
  Pool* pool_ = nullptr;
  Connection conn_;
  bool valid_ = false;
  bool discard_ = false;
  friend class Pool;
};

class Pool {
 public:
  Pool(PoolOptions options, prometheus::Registry& registry);
  ~Pool();
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  // Throws Error (retryable) when no connection can be had within the acquire timeout.
  PooledConnection acquire();

  // Last probe result: true when the database answered. Never blocks.
  bool healthy() const { return healthy_; }
  std::string last_error() const;

  // Wake waiters and the maintenance thread; acquire() fails afterwards.
  void close();


 private:
  friend class PooledConnection;
  void release(Connection conn, bool reusable);
  Connection open_connection();
  void maintain();
  bool migrate_now();
  void update_gauges();

  PoolOptions options_;
  mutable std::mutex mutex_;
  std::condition_variable available_;
  std::condition_variable maintenance_wake_;
  std::deque<Connection> idle_;
  int total_ = 0;      // idle + in use + being opened
  int in_use_ = 0;
  bool closed_ = false;
  std::atomic<bool> healthy_{false};
  std::string last_error_;
  prometheus::Gauge& in_use_gauge_;
  prometheus::Gauge& idle_gauge_;
  std::thread maintenance_;
};

}  // namespace eventhub::pg
