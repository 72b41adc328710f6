#include "http_client.hpp"

#include "wait.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <memory>
#include <utility>

namespace eventhub::test {

namespace {

using Clock = std::chrono::steady_clock;

constexpr std::size_t kMaxHeaderBytes = 64 * 1024;

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

class Socket {
 public:
  explicit Socket(int fd) : fd_(fd) {}
  ~Socket() {
    if (fd_ >= 0) ::close(fd_);
  }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  int fd() const { return fd_; }

 private:
  int fd_;
};

// One request's state: the socket, its deadline and what has been received so far.
class Exchange {
 public:
  Exchange(std::string context, Clock::time_point deadline)
      : context_(std::move(context)), deadline_(deadline) {}

  [[noreturn]] void fail(const std::string& why) const { throw HttpError(context_ + ": " + why); }
  [[noreturn]] void fail_errno(const std::string& what, int err) const {
    fail(what + ": " + std::strerror(err));
  }

  void connect(const std::string& host, std::uint16_t port) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    addrinfo* found = nullptr;
    const std::string service = std::to_string(port);
    if (int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &found); rc != 0) {
      fail(std::string("resolve: ") + ::gai_strerror(rc));
    }
    std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> guard(found, &::freeaddrinfo);
    int last_error = ECONNREFUSED;
    for (addrinfo* ai = found; ai != nullptr; ai = ai->ai_next) {
      auto s = std::make_unique<Socket>(
          ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol));
      if (s->fd() < 0) fail_errno("socket", errno);
      if (::connect(s->fd(), ai->ai_addr, ai->ai_addrlen) < 0) {
        if (errno != EINPROGRESS) {
          last_error = errno;
          continue;
        }
        await(s->fd(), POLLOUT, "connect");
        int err = 0;
        socklen_t len = sizeof err;
        ::getsockopt(s->fd(), SOL_SOCKET, SO_ERROR, &err, &len);
        if (err != 0) {
          last_error = err;
          continue;
        }
      }
      socket_ = std::move(s);
      return;
    }
    fail_errno("connect", last_error);
  }

  // False when the peer stopped reading (it may still have sent an answer worth reading).
  bool send_all(std::string_view data) {
    while (!data.empty()) {
      const ssize_t n = ::send(fd(), data.data(), data.size(), MSG_NOSIGNAL);
      if (n > 0) {
        data.remove_prefix(static_cast<std::size_t>(n));
      } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
        await(fd(), POLLOUT, "send");
      } else if (errno == EPIPE || errno == ECONNRESET) {
        return false;
      } else if (errno != EINTR) {
        fail_errno("send", errno);
      }
    }
    return true;
  }

  // Receives more bytes into the buffer; false at end of stream.
  bool fill() {
    char chunk[16 * 1024];
    for (;;) {
      const ssize_t n = ::recv(fd(), chunk, sizeof chunk, 0);
      if (n > 0) {
        buf_.append(chunk, static_cast<std::size_t>(n));
        return true;
      }
      if (n == 0) return false;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        await(fd(), POLLIN, "receive");
      } else if (errno == ECONNRESET) {
        return false;
      } else if (errno != EINTR) {
        fail_errno("recv", errno);
      }
    }
  }

  // The next CRLF- (or LF-) terminated line, without its terminator.
  std::string read_line(std::size_t limit) {
    for (;;) {
      if (auto nl = buf_.find('\n', pos_); nl != std::string::npos) {
        std::string line = buf_.substr(pos_, nl - pos_);
        pos_ = nl + 1;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        return line;
      }
      if (buf_.size() - pos_ > limit) fail("response header line too long");
      if (!fill()) fail("connection closed before the end of the response headers");
    }
  }

  std::string read_exact(std::size_t n) {
    while (buf_.size() - pos_ < n) {
      if (!fill()) {
        fail("connection closed after " + std::to_string(buf_.size() - pos_) + " of " +
             std::to_string(n) + " body bytes");
      }
    }
    std::string out = buf_.substr(pos_, n);
    pos_ += n;
    return out;
  }

  std::string read_to_end() {
    while (fill()) {
    }
    std::string out = buf_.substr(pos_);
    pos_ = buf_.size();
    return out;
  }

 private:
  int fd() const { return socket_->fd(); }

  void await(int fd, short events, const char* what) {
    for (;;) {
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline_ - Clock::now());
      if (left.count() <= 0) fail(std::string("timed out during ") + what);
      pollfd p{fd, events, 0};
      const int rc = ::poll(&p, 1, static_cast<int>(left.count()));
      if (rc > 0) return;
      if (rc < 0 && errno != EINTR) fail_errno("poll", errno);
    }
  }

  std::string context_;
  Clock::time_point deadline_;
  std::unique_ptr<Socket> socket_;
  std::string buf_;
  std::size_t pos_ = 0;
};

std::size_t parse_size(Exchange& ex, std::string_view text, int base, const char* what) {
  std::size_t value = 0;
  const auto* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value, base);
  if (ec != std::errc() || ptr == text.data() || ptr != end) {
    ex.fail(std::string("bad ") + what + ": '" + std::string(text) + "'");
  }
  return value;
}

std::string read_chunked(Exchange& ex) {
  std::string body;
  for (;;) {
    std::string line = ex.read_line(kMaxHeaderBytes);
    std::string_view size_text = trim(std::string_view(line).substr(0, line.find(';')));
    const std::size_t size = parse_size(ex, size_text, 16, "chunk size");
    if (size == 0) break;
    body += ex.read_exact(size);
    if (!ex.read_line(2).empty()) ex.fail("chunk not followed by CRLF");
  }
  while (!ex.read_line(kMaxHeaderBytes).empty()) {
  }
  return body;
}

// Reads the status line and headers of the final response; interim 1xx responses are skipped.
void read_head(Exchange& ex, HttpResponse& response) {
  for (;;) {
    const std::string status_line = ex.read_line(kMaxHeaderBytes);
    // "HTTP/1.1 200 OK"
    if (status_line.rfind("HTTP/1.", 0) != 0 || status_line.size() < 12) {
      ex.fail("malformed status line: '" + status_line + "'");
    }
    response.status =
        static_cast<int>(parse_size(ex, std::string_view(status_line).substr(9, 3), 10, "status"));
    response.reason = status_line.size() > 13 ? status_line.substr(13) : std::string();
    response.headers.clear();
    std::size_t total = 0;
    for (;;) {
      std::string line = ex.read_line(kMaxHeaderBytes);
      if (line.empty()) break;
      total += line.size();
      if (total > kMaxHeaderBytes) ex.fail("response headers over 64 KiB");
      const auto colon = line.find(':');
      if (colon == std::string::npos) ex.fail("malformed header line: '" + line + "'");
      std::string name = lower(trim(std::string_view(line).substr(0, colon)));
      std::string value(trim(std::string_view(line).substr(colon + 1)));
      auto [it, inserted] = response.headers.emplace(std::move(name), value);
      if (!inserted) it->second += ", " + value;
    }
    if (response.status >= 200 || response.status == 101) return;
  }
}

}  // namespace

std::optional<std::string> HttpResponse::header(std::string_view name) const {
  auto it = headers.find(lower(name));
  if (it == headers.end()) return std::nullopt;
  return it->second;
}

HttpResponse http_request(std::string_view method, const std::string& host, std::uint16_t port,
                          std::string_view target, std::string_view body,
                          const HttpHeaders& headers, std::chrono::milliseconds timeout) {
  Exchange ex(
      std::string(method) + " http://" + host + ":" + std::to_string(port) + std::string(target),
      Clock::now() + timeout);

  bool has_host = false, has_length = false, has_connection = false, has_te = false;
  std::string request;
  request.reserve(256 + body.size());
  request.append(method).append(" ").append(target).append(" HTTP/1.1\r\n");
  for (const auto& [name, value] : headers) {
    const std::string n = lower(name);
    has_host |= n == "host";
    has_length |= n == "content-length";
    has_connection |= n == "connection";
    has_te |= n == "transfer-encoding";
    request.append(name).append(": ").append(value).append("\r\n");
  }
  const bool ipv6 = host.find(':') != std::string::npos;
  if (!has_host) {
    request.append("Host: ")
        .append(ipv6 ? "[" + host + "]" : host)
        .append(":")
        .append(std::to_string(port))
        .append("\r\n");
  }
  if (!has_connection) request.append("Connection: close\r\n");
  const bool body_allowed = !body.empty() || (method != "GET" && method != "HEAD");
  if (!has_length && !has_te && body_allowed) {
    request.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n");
  }
  request.append("\r\n");

  ex.connect(host, port);
  if (ex.send_all(request)) ex.send_all(body);

  HttpResponse response;
  read_head(ex, response);
  const bool no_body =
      method == "HEAD" || response.status == 204 || response.status == 304 || response.status < 200;
  if (no_body) return response;
  if (auto te = response.header("transfer-encoding");
      te && lower(*te).find("chunked") != std::string::npos) {
    response.body = read_chunked(ex);
  } else if (auto length = response.header("content-length")) {
    response.body = ex.read_exact(parse_size(ex, trim(*length), 10, "Content-Length"));
  } else {
    response.body = ex.read_to_end();
  }
  return response;
}

HttpResponse http_get(std::uint16_t port, std::string_view target,
                      std::chrono::milliseconds timeout) {
  return http_request("GET", "127.0.0.1", port, target, {}, {}, timeout);
}

HttpResponse http_post_json(std::uint16_t port, std::string_view target, std::string_view body,
                            const HttpHeaders& headers, std::chrono::milliseconds timeout) {
  HttpHeaders all{{"Content-Type", "application/json"}};
  all.insert(all.end(), headers.begin(), headers.end());
  return http_request("POST", "127.0.0.1", port, target, body, all, timeout);
}

bool wait_http_ok(std::uint16_t port, std::string_view path, std::chrono::milliseconds timeout,
                  const std::string& host) {
  return wait_until(
      timeout,
      [&] {
        try {
          return http_request("GET", host, port, path, {}, {}, std::chrono::seconds(2)).status ==
                 200;
        } catch (const HttpError&) {
          return false;  // not listening yet, or closed on us while starting
        }
      },
      std::chrono::milliseconds(50));
}

}  // namespace eventhub::test
