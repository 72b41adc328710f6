#include <eventhub/pg/connection.hpp>

#include <eventhub/common/cli.hpp>
#include <eventhub/common/log.hpp>

#include <utility>

namespace eventhub::pg {

bool sqlstate_is_retryable(std::string_view s) {
  if (s.empty()) return true;                     // no SQLSTATE: connection-level failure
  if (s.substr(0, 2) == "08") return true;        // connection exception
  if (s == "40001" || s == "40P01") return true;  // serialization failure, deadlock
  if (s.substr(0, 2) == "57") return true;        // operator intervention: admin shutdown, cannot connect now
  if (s == "53300" || s == "53100" || s == "53200") return true;  // too many connections, disk full, out of memory
  if (s == "55P03") return true;                  // lock not available
  if (s == "42P01") return true;                  // table missing: schema not migrated yet, not the data's fault
  return false;
}

bool Error::retryable() const { return sqlstate_is_retryable(sqlstate_); }

Connection::Connection(const std::string& url, int connect_timeout_ms, std::string application_name) {
  const std::string timeout = std::to_string(std::max(1, (connect_timeout_ms + 999) / 1000));
  const char* keys[] = {"dbname", "connect_timeout", "application_name", nullptr};
  const char* values[] = {url.c_str(), timeout.c_str(), application_name.c_str(), nullptr};
  // expand_dbname=1: the URL fills in everything; our keywords only add what it lacks.
  conn_ = PQconnectdbParams(keys, values, 1);
  if (conn_ == nullptr) throw Error("PostgreSQL: out of memory creating a connection");
  if (PQstatus(conn_) != CONNECTION_OK) {
    std::string message = PQerrorMessage(conn_);
    while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
    PQfinish(conn_);
    conn_ = nullptr;
    throw Error("cannot connect to PostgreSQL at " + redact(url) + ": " + message);
  }
  // Server notices ("relation already exists, skipping") go to the debug log, not raw to stderr.
  PQsetNoticeProcessor(
      conn_,
      [](void*, const char* message) {
        std::string_view m(message);
        while (!m.empty() && m.back() == '\n') m.remove_suffix(1);
        log::debug("postgres notice", "message", m);
      },
      nullptr);
}

Connection::~Connection() {
  if (conn_) PQfinish(conn_);
}

Connection::Connection(Connection&& o) noexcept : conn_(std::exchange(o.conn_, nullptr)) {}

Connection& Connection::operator=(Connection&& o) noexcept {
  if (this != &o) {
    if (conn_) PQfinish(conn_);
    conn_ = std::exchange(o.conn_, nullptr);
  }
  return *this;
}

Error Connection::error_from(const PGresult* result, std::string_view what) const {
  std::string message;
  std::string sqlstate;
  if (result) {
    const char* state = PQresultErrorField(result, PG_DIAG_SQLSTATE);
    if (state) sqlstate = state;
    message = PQresultErrorMessage(result);
  }
  if (message.empty() && conn_) message = PQerrorMessage(conn_);
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  return Error(std::string(what) + ": " + message + (sqlstate.empty() ? "" : " [" + sqlstate + "]"), sqlstate);
}

void Connection::exec(const std::string& sql) {
  if (!conn_) throw Error("PostgreSQL: not connected");
  Result r{PQexec(conn_, sql.c_str())};
  const auto status = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) throw error_from(r.get(), "query failed");
}

Result Connection::exec_params(const std::string& sql, const std::vector<std::optional<std::string>>& params,
                               ResultFormat format) {
  if (!conn_) throw Error("PostgreSQL: not connected");
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
  Result r{PQexecParams(conn_, sql.c_str(), static_cast<int>(values.size()), nullptr, values.data(), nullptr,
                        nullptr, format == ResultFormat::binary ? 1 : 0)};
  const auto status = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) throw error_from(r.get(), "query failed");
  return r;
}

int64_t binary_int(const PGresult* r, int row, int col) {
  const auto* p = reinterpret_cast<const unsigned char*>(PQgetvalue(r, row, col));
  const int n = PQgetlength(r, row, col);
  if (n != 2 && n != 4 && n != 8) throw Error("PostgreSQL: binary integer of " + std::to_string(n) + " bytes");
  uint64_t v = 0;
  for (int i = 0; i < n; ++i) v = (v << 8) | p[i];
  // Sign-extend from the column's width.
  const int shift = 64 - 8 * n;
  return static_cast<int64_t>(v << shift) >> shift;
}

std::string redact(std::string_view url) { return common::redact_secrets(url); }

}  // namespace eventhub::pg
