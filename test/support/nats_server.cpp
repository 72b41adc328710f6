#include "nats_server.hpp"

#include "http_client.hpp"
#include "ports.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>

namespace eventhub::test {

namespace {

using Clock = std::chrono::steady_clock;

// A start that loses its freshly chosen port to another process is retried on new ports.
constexpr int kStartAttempts = 3;

bool lost_port_race(const std::string& log) {
  return log.find("address already in use") != std::string::npos;
}

bool ready(std::uint16_t port, std::uint16_t monitor_port) {
  try {
    nats_info(port, std::chrono::seconds(1));
    return http_get(monitor_port, "/healthz", std::chrono::seconds(1)).status == 200;
  } catch (const std::runtime_error&) {
    return false;  // HttpError included: not listening yet
  }
}

}  // namespace

NatsServer::NatsServer(NatsServerOptions options)
    : options_(std::move(options)),
      dir_("eventhub-nats"),
      store_dir_(dir_ / "jetstream"),
      log_file_(dir_ / "nats-server.log") {
  for (int attempt = 1;; ++attempt) {
    port_ = free_port();
    monitor_port_ = free_port();
    try {
      spawn_and_wait();
      return;
    } catch (const StartupError& e) {
      if (attempt == kStartAttempts || !e.exited() || !lost_port_race(log_tail(5))) throw;
    }
  }
}

NatsServer::~NatsServer() = default;

std::string NatsServer::url() const { return "nats://127.0.0.1:" + std::to_string(port_); }

pid_t NatsServer::pid() const { return process_ ? process_->pid() : -1; }

bool NatsServer::running() { return process_ && process_->running(); }

void NatsServer::start() {
  if (running()) return;
  std::ofstream(log_file_, std::ios::app)
      << "---- eventhub test: starting nats-server again ----\n";
  spawn_and_wait();
}

void NatsServer::spawn_and_wait() {
  ProcessOptions p;
  // clang-format off
  p.argv = {options_.executable,
            "-js",
            "-a", "127.0.0.1",
            "-p", std::to_string(port_),
            "--http_port", std::to_string(monitor_port_),
            "-sd", store_dir_.string()};
  // clang-format on
  p.argv.insert(p.argv.end(), options_.extra_args.begin(), options_.extra_args.end());
  p.log_file = log_file_;
  process_.reset();
  process_.emplace(std::move(p));
  const std::string what = "nats-server on 127.0.0.1:" + std::to_string(port_);
  wait_child_ready(*process_, what, options_.start_timeout,
                   [this] { return ready(port_, monitor_port_); });
}

int NatsServer::stop(std::chrono::milliseconds timeout) {
  if (!process_) return -1;
  return process_->stop(timeout, SIGINT);
}

void NatsServer::kill() {
  if (process_) process_->kill();
}

void NatsServer::restart() {
  stop();
  start();
}

bool NatsServer::signal(int signo) { return process_ && process_->signal(signo); }

std::string NatsServer::log_tail(std::size_t max_lines) const {
  return file_tail(log_file_, max_lines);
}

std::string nats_info(std::uint16_t port, std::chrono::milliseconds timeout) {
  const std::string where = "nats_info 127.0.0.1:" + std::to_string(port) + ": ";
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error(where + "socket: " + std::strerror(errno));
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};

  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0) {
    throw std::runtime_error(where + "connect: " + std::strerror(errno));
  }
  const auto deadline = Clock::now() + timeout;
  std::string line;
  while (line.find("\r\n") == std::string::npos) {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) throw std::runtime_error(where + "no INFO line in time");
    pollfd p{fd, POLLIN, 0};
    const int rc = ::poll(&p, 1, static_cast<int>(left.count()));
    if (rc < 0 && errno != EINTR) throw std::runtime_error(where + "poll: " + std::strerror(errno));
    if (rc <= 0) continue;
    char buf[4096];
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) throw std::runtime_error(where + "connection closed before INFO");
    line.append(buf, static_cast<std::size_t>(n));
    if (line.size() > 64 * 1024) throw std::runtime_error(where + "INFO line too long");
  }
  line.resize(line.find("\r\n"));
  if (line.rfind("INFO ", 0) != 0) throw std::runtime_error(where + "unexpected greeting: " + line);
  return line.substr(5);
}

}  // namespace eventhub::test
