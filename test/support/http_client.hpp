#pragma once
// A tiny blocking HTTP/1.1 client for tests: one request per connection (`Connection: close`),
// plain POSIX sockets, an overall deadline per request. Deliberately independent of the Beast code
// under test, so a bug there cannot hide itself in both the server and the client.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace eventhub::test {

struct HttpResponse {
  int status = 0;
  std::string reason;
  // Lower-cased names; a repeated header's values are joined with ", ".
  std::map<std::string, std::string> headers;
  std::string body;

  // Case-insensitive lookup.
  std::optional<std::string> header(std::string_view name) const;
};

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

// Transport failures: cannot connect, timeout, connection closed mid-response, malformed response.
// Any HTTP status, including 4xx/5xx, is a normal HttpResponse.
class HttpError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Sends `method target` to host:port with `body` (Content-Length is added unless `headers` has
// one; Host and `Connection: close` likewise) and reads the whole response: Content-Length,
// chunked, or until the server closes. The body may be binary (e.g. gzip). If the server answers
// and closes before taking the whole body (a 413, say), that answer is returned.
HttpResponse http_request(std::string_view method, const std::string& host, std::uint16_t port,
                          std::string_view target, std::string_view body = {},
                          const HttpHeaders& headers = {},
                          std::chrono::milliseconds timeout = std::chrono::seconds(10));

// GET http://127.0.0.1:port/target.
HttpResponse http_get(std::uint16_t port, std::string_view target,
                      std::chrono::milliseconds timeout = std::chrono::seconds(10));
// POST to 127.0.0.1:port/target with Content-Type: application/json plus `headers`.
HttpResponse http_post_json(std::uint16_t port, std::string_view target, std::string_view body,
                            const HttpHeaders& headers = {},
                            std::chrono::milliseconds timeout = std::chrono::seconds(10));

// Polls GET path until it answers 200; false after `timeout`.
bool wait_http_ok(std::uint16_t port, std::string_view path, std::chrono::milliseconds timeout,
                  const std::string& host = "127.0.0.1");

}  // namespace eventhub::test
