#include <eventhub/pg/migrations.hpp>

#include <set>

namespace eventhub::pg {

namespace {
// Arbitrary but fixed: every eventhub process takes the same lock.
constexpr const char* kLockKey = "727001";

struct AdvisoryLock {
  explicit AdvisoryLock(Connection& c) : conn(c) { conn.exec(std::string("SELECT pg_advisory_lock(") + kLockKey + ")"); }
  ~AdvisoryLock() {
    try {
      conn.exec(std::string("SELECT pg_advisory_unlock(") + kLockKey + ")");
    } catch (const Error&) {
      // The session ends with the connection, which releases the lock anyway.
    }
  }
  Connection& conn;
};
}  // namespace

std::vector<std::string> migrate(Connection& conn, const std::vector<Migration>& migrations) {
  AdvisoryLock lock(conn);
  conn.exec(
      "CREATE TABLE IF NOT EXISTS schema_migrations ("
      " version text PRIMARY KEY,"
      " applied_at timestamptz NOT NULL DEFAULT now())");
  std::set<std::string> applied;
  auto rows = conn.exec_params("SELECT version FROM schema_migrations");
  for (int i = 0; i < PQntuples(rows.get()); ++i) applied.emplace(text(rows.get(), i, 0));
  std::vector<std::string> done;
  for (const auto& m : migrations) {
    if (applied.count(m.version)) continue;
    conn.exec("BEGIN");
    try {
      conn.exec(m.sql);
      conn.exec_params("INSERT INTO schema_migrations (version) VALUES ($1)", {m.version});
      conn.exec("COMMIT");
    } catch (const Error& e) {
      try {
        conn.exec("ROLLBACK");
      } catch (const Error&) {
      }
      throw Error("migration " + m.version + " failed: " + e.what(), e.sqlstate());
    }
    done.push_back(m.version);
  }
  return done;
}

}  // namespace eventhub::pg
