#pragma once
// PostgresServer: a throwaway PostgreSQL cluster (initdb + `postgres` run directly, so we own the
// postmaster's pid) on 127.0.0.1 with trust auth for user `postgres`. Created by a test or fixture,
// stopped by it; the destructor SIGKILLs the postmaster and deletes the cluster. When we are root
// the cluster belongs to, and runs as, the `postgres` system user (postgres refuses root).
// The port and data directory survive stop/restart, so clients reconnect to the same URL.
// The query helpers open a connection per call and may be used from several threads; the
// start/stop calls may not.

#include "process.hpp"
#include "temp_dir.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace eventhub::test {

struct PostgresServerOptions {
  // Off for tests: a lost power supply is not a test case, and fsync dominates commit latency.
  // Also decides full_page_writes. synchronous_commit stays on either way.
  bool fsync = false;
  int max_connections = 300;
  std::string shared_buffers = "128MB";
  // Extra `-c name=value` settings, e.g. "statement_timeout=5s".
  std::vector<std::string> settings;
  // Where initdb and postgres live; empty = $EVENTHUB_PG_BIN_DIR or /usr/lib/postgresql/15/bin.
  std::filesystem::path bin_dir;
  // Used when we are root; ignored otherwise (the cluster then runs as us).
  std::string os_user = "postgres";
  std::chrono::milliseconds start_timeout = std::chrono::seconds(30);
};

class PostgresServer {
 public:
  using Row = std::vector<std::optional<std::string>>;  // std::nullopt = SQL NULL

  // initdb, start, wait until PQping says PQPING_OK. Throws (StartupError for the server) with
  // the relevant log tail on failure.
  explicit PostgresServer(PostgresServerOptions options = {});
  ~PostgresServer();

  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  std::uint16_t port() const { return port_; }
  // postgresql://postgres@127.0.0.1:PORT/dbname
  std::string url(std::string_view dbname = "postgres") const;
  const std::filesystem::path& data_dir() const { return data_dir_; }
  const std::filesystem::path& socket_dir() const { return socket_dir_; }
  const std::filesystem::path& log_file() const { return log_file_; }
  pid_t pid() const;  // the postmaster; -1 when not running
  bool running();

  // Starts again on the same port and data dir; a no-op when running.
  void start();
  // SIGINT: fast shutdown (sessions are terminated, a checkpoint is written). Returns exit status.
  int stop_fast(std::chrono::milliseconds timeout = std::chrono::seconds(30));
  // SIGQUIT: immediate shutdown, like `pg_ctl -m immediate` (no checkpoint; crash recovery on the
  // next start). This is the way to simulate a database crash.
  int stop_immediate(std::chrono::milliseconds timeout = std::chrono::seconds(30));
  // stop_fast() if running, then start().
  void restart();

  // CREATE DATABASE / DROP DATABASE IF EXISTS ... WITH (FORCE); the name is quoted as identifier.
  void create_database(std::string_view name) const;
  void drop_database(std::string_view name) const;

  // Runs one or more statements; throws std::runtime_error with the server's message on error.
  void exec(std::string_view dbname, std::string_view sql) const;
  // The single value of a one-row, one-column result; throws if the shape differs or it is NULL.
  std::string query_scalar(std::string_view dbname, std::string_view sql) const;
  std::vector<Row> query_rows(std::string_view dbname, std::string_view sql) const;

  std::string log_tail(std::size_t max_lines = 40) const;

 private:
  void init_cluster();
  void spawn_and_wait();
  ProcessOptions base_options() const;

  PostgresServerOptions options_;
  std::optional<std::string> run_as_;
  TempDir dir_;
  std::filesystem::path data_dir_;
  std::filesystem::path socket_dir_;
  std::filesystem::path log_file_;
  std::uint16_t port_ = 0;
  std::optional<ChildProcess> process_;  // after dir_: destroyed (killed) before the dir goes
};

// "name" with embedded quotes doubled: a safe SQL identifier.
std::string quote_identifier(std::string_view name);

}  // namespace eventhub::test
