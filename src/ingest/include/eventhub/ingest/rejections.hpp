#pragma once
// What ingest refuses, as http::Rejection: one function per stage of a request (authentication,
// decoding, parsing, publishing), each naming the status, the message and the metrics reason.
// Pure: unit-tested without a server.

#include <eventhub/http/rejection.hpp>
#include <eventhub/ingest/batch.hpp>
#include <eventhub/ingest/decode.hpp>
#include <eventhub/ingest/publisher.hpp>

#include <optional>
#include <string>

namespace eventhub::ingest {

http::Rejection unauthorized(std::string why, bool bearer_challenge);
http::Rejection unsupported_content_type();
std::optional<http::Rejection> rejection_of(const Decoded& decoded);
std::optional<http::Rejection> rejection_of(const PreparedBody& body);  // body-level problems only
std::optional<http::Rejection> rejection_of(const PublishResult& published);

}  // namespace eventhub::ingest
