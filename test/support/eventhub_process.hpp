#pragma once
// EventhubProcess: the built `eventhub` binary run as a child by a test, which stops it (or lets
// the destructor SIGKILL it). Owns a temp dir holding its combined stdout/stderr log. The binary is
// EVENTHUB_BINARY (set by CMake to the built target) unless $EVENTHUB_BINARY overrides it, e.g. to
// run the suite against an installed or sanitizer build. Not thread-safe.

#include "process.hpp"
#include "temp_dir.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace eventhub::test {

using EnvOverrides = std::map<std::string, std::optional<std::string>>;

class EventhubProcess {
 public:
  // `args` excludes argv[0], e.g. {"serve-ingest", "--port", "3101"}. Throws if it cannot start.
  explicit EventhubProcess(std::vector<std::string> args, EnvOverrides env = {},
                           std::filesystem::path binary = default_binary());
  ~EventhubProcess();

  EventhubProcess(const EventhubProcess&) = delete;
  EventhubProcess& operator=(const EventhubProcess&) = delete;

  static std::filesystem::path default_binary();
  // Runs `eventhub args...` to completion (for --help, --version, bad flags, migrate).
  static ProcessResult run(std::vector<std::string> args, EnvOverrides env = {},
                           std::chrono::milliseconds timeout = std::chrono::seconds(30),
                           std::filesystem::path binary = default_binary());

  pid_t pid() const { return process_.pid(); }
  bool running() { return process_.running(); }
  bool signal(int signo) { return process_.signal(signo); }

  // Polls GET 127.0.0.1:port<path> until 200 (pass "/health/readiness" to wait for dependencies
  // too). Throws StartupError with the log tail if the process exits first or the timeout passes
  // (it is killed then).
  void wait_ready(std::uint16_t port, std::chrono::milliseconds timeout = std::chrono::seconds(20),
                  const std::string& path = "/health/liveness");
  // SIGTERM (the contract's drain), SIGKILL after `timeout`; returns the exit status
  // (0 = clean drain, 137 = had to be killed).
  int stop(std::chrono::milliseconds timeout = std::chrono::seconds(30));
  void kill9() { process_.kill(); }
  std::optional<int> wait_exit(std::chrono::milliseconds timeout) {
    return process_.wait_exit(timeout);
  }

  const std::filesystem::path& log_file() const { return log_file_; }
  std::string log_tail(std::size_t max_lines = 60) const;

 private:
  TempDir dir_;
  std::filesystem::path log_file_;
  ChildProcess process_;  // after dir_: destroyed (killed) before the dir goes
};

}  // namespace eventhub::test
