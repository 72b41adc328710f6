#pragma once
// A small TCP proxy for network faults without privileges (no tc netem, no namespaces): listens on
// a free 127.0.0.1 port and forwards every connection to 127.0.0.1:<target>. Faults:
// - blackhole(true): stop forwarding in both directions but keep the connections open (a network
//   partition: the peers see silence, not a close); bytes stay queued and flow again on
//   blackhole(false) unless cut_all() drops them;
// - cut_all(): close every current connection (clients reconnect through the proxy);
// - set_delay(ms): every forwarded chunk waits this long first (latency).
// One thread per connection; the destructor stops and joins everything.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

namespace eventhub::test::faults {

class TcpProxy {
 public:
  explicit TcpProxy(std::uint16_t target_port) : target_(target_port) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (listen_fd_ < 0) throw std::runtime_error("proxy: socket");
    int one = 1;
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr = loopback(0);
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(listen_fd_, 128) != 0)
      throw std::runtime_error("proxy: bind/listen");
    socklen_t len = sizeof addr;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    accept_thread_ = std::thread([this] { accept_loop(); });
  }
  ~TcpProxy() {
    stop_ = true;
    if (accept_thread_.joinable()) accept_thread_.join();
    std::lock_guard lock(mu_);
    for (auto& t : conn_threads_)
      if (t.joinable()) t.join();
    ::close(listen_fd_);
  }
  TcpProxy(const TcpProxy&) = delete;
  TcpProxy& operator=(const TcpProxy&) = delete;

  std::uint16_t port() const { return port_; }
  std::string nats_url() const { return "nats://127.0.0.1:" + std::to_string(port_); }
  void blackhole(bool on) { blackhole_ = on; }
  void cut_all() { ++generation_; }
  void set_delay(std::chrono::milliseconds d) { delay_ms_ = static_cast<int>(d.count()); }
  int connections() const { return open_.load(); }

 private:
  static sockaddr_in loopback(std::uint16_t port) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
  }

  void accept_loop() {
    while (!stop_) {
      pollfd p{listen_fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      const int client = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (client < 0) continue;
      if (blackhole_) {  // a partitioned network does not complete new connections either
        ::close(client);
        continue;
      }
      const int upstream = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      sockaddr_in addr = loopback(target_);
      if (upstream < 0 || ::connect(upstream, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        if (upstream >= 0) ::close(upstream);
        ::close(client);
        continue;
      }
      std::lock_guard lock(mu_);
      ++open_;
      conn_threads_.emplace_back([this, client, upstream] { pump(client, upstream); });
    }
  }

  static bool send_all(int fd, const char* data, std::size_t n) {
    while (n > 0) {
      const ssize_t w = ::send(fd, data, n, MSG_NOSIGNAL);
      if (w <= 0) return false;
      data += w;
      n -= static_cast<std::size_t>(w);
    }
    return true;
  }

  void pump(int client, int upstream) {
    const int generation = generation_.load();
    char buf[65536];
    while (!stop_ && generation_.load() == generation) {
      if (blackhole_) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
        continue;
      }
      pollfd p[2] = {{client, POLLIN, 0}, {upstream, POLLIN, 0}};
      if (::poll(p, 2, 50) <= 0) continue;
      bool ok = true;
      for (int i = 0; i < 2 && ok; ++i) {
        if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        const ssize_t n = ::recv(p[i].fd, buf, sizeof buf, 0);
        if (n <= 0) {
          ok = false;
          break;
        }
        if (const int d = delay_ms_.load(); d > 0) std::this_thread::sleep_for(std::chrono::milliseconds(d));
        ok = send_all(i == 0 ? upstream : client, buf, static_cast<std::size_t>(n));
      }
      if (!ok) break;
    }
    ::shutdown(client, SHUT_RDWR);
    ::shutdown(upstream, SHUT_RDWR);
    ::close(client);
    ::close(upstream);
    --open_;
  }

  std::uint16_t target_;
  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<bool> blackhole_{false};
  std::atomic<int> generation_{0};
  std::atomic<int> delay_ms_{0};
  std::atomic<int> open_{0};
  std::mutex mu_;
  std::thread accept_thread_;
  std::vector<std::thread> conn_threads_;
};

}  // namespace eventhub::test::faults
