#pragma once
// Thin RAII adapters over libpq. All calls block: use them on a blocking pool or a worker thread,
// never on an HTTP I/O thread.

#include <libpq-fe.h>

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace eventhub::pg {

// A failed PostgreSQL call. `sqlstate` is empty for connection-level failures (treated as retryable).
class Error : public std::runtime_error {
 public:
  Error(std::string message, std::string sqlstate = {})
      : std::runtime_error(std::move(message)), sqlstate_(std::move(sqlstate)) {}
  const std::string& sqlstate() const { return sqlstate_; }
  // Worth retrying later: connection trouble, serialization/deadlock, admin shutdown, too many
  // connections, statement cancelled by shutdown. Data errors are permanent.
  bool retryable() const;

 private:
  std::string sqlstate_;
};

bool sqlstate_is_retryable(std::string_view sqlstate);

struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using Result = std::unique_ptr<PGresult, ResultDeleter>;

class Connection {
 public:
  Connection() = default;  // not connected
  // Connects (blocking, bounded by connect_timeout_ms via the connect_timeout keyword); throws Error.
  Connection(const std::string& url, int connect_timeout_ms, std::string application_name = "eventhub");
  ~Connection();
  Connection(Connection&&) noexcept;
  Connection& operator=(Connection&&) noexcept;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  PGconn* raw() { return conn_; }
  bool ok() const { return conn_ != nullptr && PQstatus(conn_) == CONNECTION_OK; }

  // Runs a command without parameters (may contain several statements); throws Error on failure.
  void exec(const std::string& sql);
  // Runs one parameterised statement; text-format parameters, nullopt = NULL. Results in text, or
  // in binary (every column: big-endian integers, raw bytea and text), which spares bytea its hex
  // form. Throws Error.
  enum class ResultFormat { text, binary };
  Result exec_params(const std::string& sql, const std::vector<std::optional<std::string>>& params = {},
                     ResultFormat format = ResultFormat::text);

  // Builds an Error from the connection's or a result's state.
  Error error_from(const PGresult* result, std::string_view what) const;

 private:
  PGconn* conn_ = nullptr;
};

// Value helpers for results.
inline bool is_null(const PGresult* r, int row, int col) { return PQgetisnull(r, row, col) != 0; }
inline std::string_view text(const PGresult* r, int row, int col) {
  return {PQgetvalue(r, row, col), static_cast<std::size_t>(PQgetlength(r, row, col))};
}

// A binary-format integer column (int2, int4 or int8, big-endian as PostgreSQL sends it).
int64_t binary_int(const PGresult* r, int row, int col);

// The URL with its password replaced by ***, for logs.
std::string redact(std::string_view url);

}  // namespace eventhub::pg
