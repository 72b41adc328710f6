#pragma once
// NatsServer: a throwaway `nats-server -js` on 127.0.0.1, created by a test (or fixture) and
// stopped by it; the destructor SIGKILLs it and deletes its store. Owns a temp dir with the
// JetStream store and the server log. Ports (client and HTTP monitor) are chosen once and kept
// across restart(), so clients can reconnect to the same URL: fault tests stop, kill and restart
// the broker under a running eventhub. Not thread-safe.

#include "process.hpp"
#include "temp_dir.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace eventhub::test {

struct NatsServerOptions {
  // Appended to the command line, e.g. {"--max_file_store", "64MB"} (limits in a config file are
  // another option: write it into the temp dir and pass {"-c", path}).
  std::vector<std::string> extra_args;
  std::string executable = "nats-server";
  std::chrono::milliseconds start_timeout = std::chrono::seconds(15);
};

class NatsServer {
 public:
  // Starts the server and returns once it answers INFO on its client port and /healthz says 200
  // (JetStream is up). Throws StartupError with the log tail otherwise.
  explicit NatsServer(NatsServerOptions options = {});
  ~NatsServer();

  NatsServer(const NatsServer&) = delete;
  NatsServer& operator=(const NatsServer&) = delete;

  std::uint16_t port() const { return port_; }
  std::uint16_t monitor_port() const { return monitor_port_; }
  std::string url() const;                                               // nats://127.0.0.1:PORT
  const std::filesystem::path& store_dir() const { return store_dir_; }  // the -sd directory
  const std::filesystem::path& log_file() const { return log_file_; }
  pid_t pid() const;  // -1 when not running
  bool running();

  // Starts again on the same ports and store; a no-op when running.
  void start();
  // Clean shutdown (JetStream flushed), SIGKILL after `timeout`. Returns the exit status, 0 when
  // clean. Sends SIGINT: nats-server 2.9 shuts down the same way on SIGTERM but then exits 1.
  int stop(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // SIGKILL: the broker crashes; on the next start JetStream recovers its store.
  void kill();
  // stop() if running, then start().
  void restart();
  // E.g. SIGSTOP / SIGCONT to make the broker hang without closing connections.
  bool signal(int signo);

  std::string log_tail(std::size_t max_lines = 40) const;

 private:
  void spawn_and_wait();

  NatsServerOptions options_;
  TempDir dir_;
  std::filesystem::path store_dir_;
  std::filesystem::path log_file_;
  std::uint16_t port_ = 0;
  std::uint16_t monitor_port_ = 0;
  std::optional<ChildProcess> process_;  // after dir_: destroyed (killed) before the dir goes
};

// Connects to a NATS server and returns the JSON of its INFO greeting (without "INFO ").
// Throws std::runtime_error when nothing answers INFO within `timeout`.
std::string nats_info(std::uint16_t port,
                      std::chrono::milliseconds timeout = std::chrono::seconds(2));

}  // namespace eventhub::test
