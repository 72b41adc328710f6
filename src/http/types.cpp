#include <eventhub/http/types.hpp>

#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>

namespace eventhub::http {

std::string_view path_of(std::string_view target) {
  const auto q = target.find('?');
  return q == std::string_view::npos ? target : target.substr(0, q);
}

namespace {
int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool percent_decode(std::string_view in, std::string& out) {
  out.clear();
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '+') {
      out += ' ';
    } else if (c == '%') {
      if (i + 2 >= in.size()) return false;
      const int hi = hex_value(in[i + 1]), lo = hex_value(in[i + 2]);
      if (hi < 0 || lo < 0) return false;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += c;
    }
  }
  return true;
}
}  // namespace

QueryParams parse_query(std::string_view target) {
  QueryParams params;
  const auto q = target.find('?');
  if (q == std::string_view::npos) return params;
  std::string_view rest = target.substr(q + 1);
  while (!rest.empty()) {
    const auto amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view{} : rest.substr(amp + 1);
    if (pair.empty()) continue;
    const auto eq = pair.find('=');
    std::string name, value;
    const bool name_ok = percent_decode(pair.substr(0, eq), name);
    const bool value_ok = eq == std::string_view::npos || percent_decode(pair.substr(eq + 1), value);
    if (!name_ok || name.empty()) {
      // A nameless pair ("=x") is reported by its raw text so the error can still point at it.
      params.malformed.emplace_back(name_ok ? pair : pair.substr(0, eq));
      continue;
    }
    if (!value_ok) {
      params.malformed.push_back(name);
      continue;
    }
    if (params.values.count(name)) {
      params.repeated.push_back(name);
      continue;
    }
    params.values.emplace(std::move(name), std::move(value));
  }
  return params;
}

std::string_view reason_phrase(Status status) {
  const auto r = bhttp::obsolete_reason(status);
  return {r.data(), r.size()};
}

Response json_response(Status status, std::string body, unsigned version) {
  Response res{status, version};
  res.set(bhttp::field::content_type, "application/json; charset=utf-8");
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

Response json_error(Status status, std::string_view message, std::string_view details_json, unsigned version) {
  std::string body = "{\"statusCode\":" + std::to_string(static_cast<unsigned>(status)) + ",\"error\":" +
                     boost::json::serialize(boost::json::string(reason_phrase(status))) +
                     ",\"message\":" + boost::json::serialize(boost::json::string(message));
  if (!details_json.empty()) {
    body += ",\"details\":";
    body += details_json;
  }
  body += '}';
  return json_response(status, std::move(body), version);
}

}  // namespace eventhub::http
