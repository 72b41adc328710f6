#include "postgres_server.hpp"

#include "ports.hpp"

#include <libpq-fe.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <stdexcept>

namespace eventhub::test {

namespace fs = std::filesystem;

namespace {

constexpr int kStartAttempts = 3;

struct ConnDeleter {
  void operator()(PGconn* c) const { PQfinish(c); }
};
struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using Conn = std::unique_ptr<PGconn, ConnDeleter>;
using Result = std::unique_ptr<PGresult, ResultDeleter>;

fs::path default_bin_dir() {
  const char* v = std::getenv("EVENTHUB_PG_BIN_DIR");
  return (v != nullptr && *v != '\0') ? fs::path(v) : fs::path("/usr/lib/postgresql/15/bin");
}

std::string trim_message(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  return s;
}

bool contains_ci(std::string haystack, std::string_view needle) {
  std::transform(haystack.begin(), haystack.end(), haystack.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return haystack.find(needle) != std::string::npos;
}

// The `postgres` user must be able to walk down to the cluster; a $TMPDIR under /root would not
// let it, and initdb's error for that is cryptic.
void require_reachable_by_others(const fs::path& dir) {
  for (fs::path p = dir.parent_path(); !p.empty(); p = p.parent_path()) {
    struct stat st {};
    if (::stat(p.c_str(), &st) == 0 && (st.st_mode & S_IXOTH) == 0) {
      throw std::runtime_error("PostgresServer: " + p.string() +
                               " is not searchable by other users, so the postgres user cannot"
                               " reach " + dir.string() + "; point TMPDIR elsewhere (e.g. /tmp)");
    }
    if (p == p.root_path()) break;
  }
}

std::string percent_encode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

}  // namespace

std::string quote_identifier(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

PostgresServer::PostgresServer(PostgresServerOptions options)
    : options_(std::move(options)),
      dir_("eventhub-pg"),
      data_dir_(dir_ / "data"),
      socket_dir_(dir_ / "sock"),
      log_file_(dir_ / "postgres.log") {
  if (options_.bin_dir.empty()) options_.bin_dir = default_bin_dir();
  if (::geteuid() == 0) run_as_ = options_.os_user;
  init_cluster();
  for (int attempt = 1;; ++attempt) {
    port_ = free_port();
    try {
      spawn_and_wait();
      return;
    } catch (const StartupError& e) {
      if (attempt == kStartAttempts || !e.exited() ||
          !contains_ci(log_tail(10), "address already in use")) {
        throw;
      }
    }
  }
}

PostgresServer::~PostgresServer() = default;

ProcessOptions PostgresServer::base_options() const {
  ProcessOptions p;
  p.run_as_user = run_as_;
  // Our own cwd (often /root) may be closed to the postgres user, and initdb insists on it.
  p.working_dir = dir_.path();
  // Settings meant for clients of some other cluster must not leak into initdb/postgres.
  for (const char* name : {"PGDATA", "PGHOST", "PGPORT", "PGUSER", "PGDATABASE", "PGOPTIONS"}) {
    p.env[name] = std::nullopt;
  }
  p.env["LC_ALL"] = "C";
  return p;
}

void PostgresServer::init_cluster() {
  const fs::path initdb = options_.bin_dir / "initdb";
  if (!fs::exists(initdb)) {
    throw std::runtime_error("PostgresServer: " + initdb.string() +
                             " not found; set EVENTHUB_PG_BIN_DIR to the PostgreSQL bin directory");
  }
  fs::create_directory(socket_dir_);
  if (run_as_) {
    require_reachable_by_others(dir_.path());
    dir_.chown_to(*run_as_);
  }

  ProcessOptions p = base_options();
  // --no-sync: a crash during the test run loses a throwaway cluster anyway.
  p.argv = {initdb.string(), "-D", data_dir_.string(), "-U", "postgres", "--auth=trust",
            "-E", "UTF8", "--no-locale", "--no-sync", "--no-instructions"};
  const ProcessResult r = run_process(std::move(p), std::chrono::seconds(120));
  if (r.exit_status != 0) {
    throw std::runtime_error("initdb failed with status " + std::to_string(r.exit_status) + ":\n" +
                             r.err + r.out);
  }
}

void PostgresServer::spawn_and_wait() {
  const std::string fsync = options_.fsync ? "on" : "off";
  ProcessOptions p = base_options();
  // clang-format off
  p.argv = {(options_.bin_dir / "postgres").string(),
            "-D", data_dir_.string(),
            "-k", socket_dir_.string(),
            "-p", std::to_string(port_),
            "-c", "listen_addresses=127.0.0.1",
            "-c", "fsync=" + fsync,
            "-c", "full_page_writes=" + fsync,
            "-c", "synchronous_commit=on",
            "-c", "max_connections=" + std::to_string(options_.max_connections),
            "-c", "shared_buffers=" + options_.shared_buffers,
            // Timestamps in query results and logs must not depend on the machine's zone.
            "-c", "timezone=UTC",
            "-c", "log_timezone=UTC"};
  // clang-format on
  for (const auto& setting : options_.settings) {
    p.argv.push_back("-c");
    p.argv.push_back(setting);
  }
  p.log_file = log_file_;
  process_.reset();
  process_.emplace(std::move(p));

  const std::string conninfo = "host=127.0.0.1 port=" + std::to_string(port_) +
                               " user=postgres dbname=postgres connect_timeout=2 sslmode=disable";
  wait_child_ready(*process_, "postgres on 127.0.0.1:" + std::to_string(port_),
                   options_.start_timeout,
                   [&conninfo] { return PQping(conninfo.c_str()) == PQPING_OK; });
}

std::string PostgresServer::url(std::string_view dbname) const {
  return "postgresql://postgres@127.0.0.1:" + std::to_string(port_) + "/" + percent_encode(dbname);
}

pid_t PostgresServer::pid() const { return process_ ? process_->pid() : -1; }

bool PostgresServer::running() { return process_ && process_->running(); }

void PostgresServer::start() {
  if (running()) return;
  std::ofstream(log_file_, std::ios::app) << "---- eventhub test: starting postgres again ----\n";
  spawn_and_wait();
}

int PostgresServer::stop_fast(std::chrono::milliseconds timeout) {
  return process_ ? process_->stop(timeout, SIGINT) : -1;
}

int PostgresServer::stop_immediate(std::chrono::milliseconds timeout) {
  return process_ ? process_->stop(timeout, SIGQUIT) : -1;
}

void PostgresServer::restart() {
  stop_fast();
  start();
}

void PostgresServer::create_database(std::string_view name) const {
  exec("postgres", "CREATE DATABASE " + quote_identifier(name));
}

void PostgresServer::drop_database(std::string_view name) const {
  exec("postgres", "DROP DATABASE IF EXISTS " + quote_identifier(name) + " WITH (FORCE)");
}

namespace {

Result run_sql(std::uint16_t port, std::string_view dbname, std::string_view sql) {
  const std::string db(dbname);
  const char* keys[] = {"host", "port", "user", "dbname", "connect_timeout", "sslmode", nullptr};
  const std::string port_text = std::to_string(port);
  const char* values[] = {"127.0.0.1", port_text.c_str(), "postgres", db.c_str(), "5", "disable",
                          nullptr};
  Conn conn(PQconnectdbParams(keys, values, 0));
  const std::string where = "postgres 127.0.0.1:" + port_text + "/" + db;
  if (!conn) throw std::runtime_error(where + ": out of memory");
  if (PQstatus(conn.get()) != CONNECTION_OK) {
    throw std::runtime_error(where + ": connect: " + trim_message(PQerrorMessage(conn.get())));
  }
  const std::string text(sql);
  Result res(PQexec(conn.get(), text.c_str()));
  const ExecStatusType st = res ? PQresultStatus(res.get()) : PGRES_FATAL_ERROR;
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
    const std::string message = res ? PQresultErrorMessage(res.get()) : PQerrorMessage(conn.get());
    throw std::runtime_error(where + ": " + trim_message(message) + "\nin: " + text);
  }
  return res;
}

}  // namespace

void PostgresServer::exec(std::string_view dbname, std::string_view sql) const {
  run_sql(port_, dbname, sql);
}

std::string PostgresServer::query_scalar(std::string_view dbname, std::string_view sql) const {
  Result res = run_sql(port_, dbname, sql);
  if (PQntuples(res.get()) != 1 || PQnfields(res.get()) != 1) {
    throw std::runtime_error("query_scalar: expected 1 row x 1 column, got " +
                             std::to_string(PQntuples(res.get())) + " x " +
                             std::to_string(PQnfields(res.get())) + " from: " + std::string(sql));
  }
  if (PQgetisnull(res.get(), 0, 0)) {
    throw std::runtime_error("query_scalar: NULL from: " + std::string(sql));
  }
  return std::string(PQgetvalue(res.get(), 0, 0),
                     static_cast<std::size_t>(PQgetlength(res.get(), 0, 0)));
}

std::vector<PostgresServer::Row> PostgresServer::query_rows(std::string_view dbname,
                                                            std::string_view sql) const {
  Result res = run_sql(port_, dbname, sql);
  const int rows = PQntuples(res.get());
  const int cols = PQnfields(res.get());
  std::vector<Row> out;
  out.reserve(static_cast<std::size_t>(rows));
  for (int r = 0; r < rows; ++r) {
    Row row;
    row.reserve(static_cast<std::size_t>(cols));
    for (int c = 0; c < cols; ++c) {
      if (PQgetisnull(res.get(), r, c)) {
        row.emplace_back(std::nullopt);
      } else {
        row.emplace_back(std::string(PQgetvalue(res.get(), r, c),
                                     static_cast<std::size_t>(PQgetlength(res.get(), r, c))));
      }
    }
    out.push_back(std::move(row));
  }
  return out;
}

std::string PostgresServer::log_tail(std::size_t max_lines) const {
  return file_tail(log_file_, max_lines);
}

}  // namespace eventhub::test
