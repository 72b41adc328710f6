#include <eventhub/pg/pool.hpp>

#include <eventhub/common/log.hpp>
#include <eventhub/pg/migrations.hpp>

#include <prometheus/gauge.h>
#include <prometheus/registry.h>

namespace eventhub::pg {

namespace {
prometheus::Family<prometheus::Gauge>& pool_family(prometheus::Registry& registry) {
  return prometheus::BuildGauge()
      .Name("eventhub_db_pool_connections")
      .Help("PostgreSQL pool connections by state (in_use, idle)")
      .Register(registry);
}
}  // namespace

PoolOptions PoolOptions::from(const common::DatabaseConfig& db, std::string name) {
  PoolOptions o;
  o.url = db.url;
  o.name = std::move(name);
  o.min = db.pool_min;
  o.max = db.pool_max;
  o.connect_timeout = db.connect_timeout;
  o.acquire_timeout = db.acquire_timeout;
  o.migrate_when_reachable = db.migrate_on_start;
  return o;
}

PooledConnection::~PooledConnection() {
  if (valid_ && pool_) pool_->release(std::move(conn_), !discard_ && conn_.ok());
}

PooledConnection::PooledConnection(PooledConnection&& o) noexcept
    : pool_(o.pool_), conn_(std::move(o.conn_)), valid_(std::exchange(o.valid_, false)), discard_(o.discard_) {}

PooledConnection& PooledConnection::operator=(PooledConnection&& o) noexcept {
  if (this != &o) {
    if (valid_ && pool_) pool_->release(std::move(conn_), !discard_ && conn_.ok());
    pool_ = o.pool_;
    conn_ = std::move(o.conn_);
    valid_ = std::exchange(o.valid_, false);
    discard_ = o.discard_;
  }
  return *this;
}

Pool::Pool(PoolOptions options, prometheus::Registry& registry)
    : options_(std::move(options)),
      in_use_gauge_(pool_family(registry).Add({{"pool", options_.name}, {"state", "in_use"}})),
      idle_gauge_(pool_family(registry).Add({{"pool", options_.name}, {"state", "idle"}})) {
  maintenance_ = std::thread([this] { maintain(); });
}

Pool::~Pool() {
  close();
  if (maintenance_.joinable()) maintenance_.join();
}

void Pool::close() {
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
    idle_.clear();
  }
  available_.notify_all();
  maintenance_wake_.notify_all();
}

std::string Pool::last_error() const {
  std::lock_guard lock(mutex_);
  return last_error_;
}

Connection Pool::open_connection() {
  Connection conn(options_.url, static_cast<int>(options_.connect_timeout.count()), "eventhub-" + options_.name);
  for (const auto& statement : options_.session_setup) conn.exec(statement);
  return conn;
}

void Pool::update_gauges() {
  in_use_gauge_.Set(in_use_);
  idle_gauge_.Set(static_cast<double>(idle_.size()));
}

PooledConnection Pool::acquire() {
  const auto deadline = std::chrono::steady_clock::now() + options_.acquire_timeout;
  std::unique_lock lock(mutex_);
  for (;;) {
    if (closed_) throw Error("connection pool '" + options_.name + "' is closed");
    if (!idle_.empty()) {
      Connection conn = std::move(idle_.front());
      idle_.pop_front();
      ++in_use_;
      update_gauges();
      return PooledConnection(this, std::move(conn));
    }
    if (total_ < options_.max) {
      ++total_;
      ++in_use_;
      update_gauges();
      lock.unlock();
      try {
        Connection conn = open_connection();
        healthy_ = true;
        return PooledConnection(this, std::move(conn));
      } catch (const Error& e) {
        lock.lock();
        --total_;
        --in_use_;
        last_error_ = e.what();
        healthy_ = false;
        update_gauges();
        available_.notify_one();
        throw;
      }
    }
    if (available_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty() && total_ >= options_.max)
      throw Error("no PostgreSQL connection free in pool '" + options_.name + "' within " +
                  std::to_string(options_.acquire_timeout.count()) + " ms");
  }
}

void Pool::release(Connection conn, bool reusable) {
  {
    std::lock_guard lock(mutex_);
    --in_use_;
    if (reusable && !closed_) {
      idle_.push_back(std::move(conn));
    } else {
      --total_;
    }
    update_gauges();
  }
  available_.notify_one();
}

bool Pool::migrate_now() {
  try {
    Connection conn(options_.url, static_cast<int>(options_.connect_timeout.count()), "eventhub-migrate");
    const auto applied = migrate(conn);
    if (!applied.empty()) log::info("migrations applied", "pool", options_.name, "count", applied.size());
    return true;
  } catch (const Error& e) {
    log::warn("migrations failed", "pool", options_.name, "error", e.what());
    return false;
  }
}

void Pool::maintain() {
  std::unique_lock lock(mutex_);
  while (!closed_) {
    // Probe with an idle connection if there is one, otherwise open one (it becomes idle).
    std::optional<Connection> probe;
    if (!idle_.empty()) {
      probe = std::move(idle_.front());
      idle_.pop_front();
    } else if (total_ < options_.max) {
      ++total_;
    } else {
      // All connections busy: the database is evidently reachable.
      maintenance_wake_.wait_for(lock, options_.probe_interval);
      continue;
    }
    ++in_use_;
    lock.unlock();
    std::string error;
    try {
      if (!probe) probe.emplace(open_connection());
      probe->exec("SELECT 1");
    } catch (const Error& e) {
      error = e.what();
      probe.reset();
    }
    lock.lock();
    --in_use_;
    const bool was_healthy = healthy_;
    if (probe && !closed_) {
      idle_.push_back(std::move(*probe));
      if (!was_healthy) {
        log::info("database reachable", "pool", options_.name);
        if (options_.migrate_when_reachable) {
          lock.unlock();
          const bool migrated = migrate_now();
          lock.lock();
          if (!migrated) {
            maintenance_wake_.wait_for(lock, options_.probe_interval);
            continue;  // not healthy until the schema is there
          }
        }
      }
      healthy_ = true;
    } else {
      --total_;
      if (!error.empty()) {
        healthy_ = false;
        if (was_healthy || last_error_ != error) log::warn("database unreachable", "pool", options_.name, "error", error);
        last_error_ = error;
        idle_.clear();  // connections to a database that went away are stale
        total_ = in_use_;
      }
    }
    // Keep `min` connections ready when the database is up.
    while (healthy_ && !closed_ && total_ < options_.min) {
      ++total_;
      lock.unlock();
      try {
        Connection c = open_connection();
        lock.lock();
        idle_.push_back(std::move(c));
      } catch (const Error& e) {
        lock.lock();
        --total_;
        break;
      }
    }
    update_gauges();
    available_.notify_all();
    maintenance_wake_.wait_for(lock, options_.probe_interval);
  }
}

}  // namespace eventhub::pg
