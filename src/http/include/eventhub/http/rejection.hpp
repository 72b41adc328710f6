#pragma once
// Why a request is refused, in one shape, and the one place that turns it into an HTTP answer:
// the contract's error body {"statusCode","error","message"[,"details"]}, Retry-After on answers
// a client should retry (429/503, seconds from the role's configuration), and any extra header
// (Allow, WWW-Authenticate). Ingest, analytics and the HTTP server itself all answer through it.

#include <eventhub/http/types.hpp>

#include <string>
#include <utility>
#include <vector>

namespace eventhub::http {

struct Rejection {
  Rejection() = default;
  Rejection(Status s, std::string m, std::string why = {}, std::string details = {},
            std::vector<std::pair<bhttp::field, std::string>> extra = {})
      : status(s), message(std::move(m)), reason(std::move(why)), details_json(std::move(details)),
        headers(std::move(extra)) {}

  Status status = Status::internal_server_error;
  std::string message;
  std::string reason;        // bounded metrics label ("invalid_json", "timeout", ...); may be empty
  std::string details_json;  // optional "details" object, e.g. {"parameter":"limit"}
  std::vector<std::pair<bhttp::field, std::string>> headers;

  // 429 and 503 tell the client to come back: they carry Retry-After.
  bool retryable() const { return status == Status::too_many_requests || status == Status::service_unavailable; }
};

// The answer for `r`; `retry_after_s` is sent in Retry-After when the rejection is retryable.
Response respond(const Rejection& r, unsigned version, int retry_after_s);

}  // namespace eventhub::http
