#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/verb.hpp>

#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace eventhub::http {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

using Request = bhttp::request<bhttp::string_body>;
using Response = bhttp::response<bhttp::string_body>;
using Status = bhttp::status;

// A route handler runs on the connection's strand. It may co_await blocking work on a pool
// (common::run_blocking) but must not block itself.
using Handler = std::function<net::awaitable<Response>(Request&)>;

// The path without its query string.
std::string_view path_of(std::string_view target);
// Decoded query parameters of a target ("a=1&b=x%20y"). A repeated name keeps the first value and is
// reported in `repeated` so handlers can reject ambiguity.
struct QueryParams {
  std::unordered_map<std::string, std::string> values;
  std::vector<std::string> repeated;
  std::vector<std::string> malformed;  // names whose percent-encoding is invalid
};
QueryParams parse_query(std::string_view target);

// JSON answers. Errors follow CONTRACT.md: {"statusCode":400,"error":"Bad Request","message":"…"}.
Response json_response(Status status, std::string body, unsigned version = 11);
Response json_error(Status status, std::string_view message, std::string_view details_json = {},
                    unsigned version = 11);
std::string_view reason_phrase(Status status);

}  // namespace eventhub::http
