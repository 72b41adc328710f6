#include <eventhub/ingest/rejections.hpp>

namespace eventhub::ingest {

using http::Rejection;
using http::Status;

Rejection unauthorized(std::string why, bool bearer_challenge) {
  Rejection r{Status::unauthorized, std::move(why), "unauthorized"};
  if (bearer_challenge) r.headers.emplace_back(http::bhttp::field::www_authenticate, "Bearer");
  return r;
}

Rejection unsupported_content_type() {
  return {Status::unsupported_media_type, "Content-Type must be application/json", "content_type"};
}

std::optional<Rejection> rejection_of(const Decoded& d) {
  switch (d.status) {
    case DecodeStatus::ok: return std::nullopt;
    case DecodeStatus::unsupported_encoding: return Rejection{Status::unsupported_media_type, d.message, "encoding"};
    case DecodeStatus::too_large: return Rejection{Status::payload_too_large, d.message, "too_large"};
    case DecodeStatus::corrupt: return Rejection{Status::bad_request, d.message, "encoding"};
  }
  return Rejection{Status::bad_request, d.message, "encoding"};
}

std::optional<Rejection> rejection_of(const PreparedBody& b) {
  switch (b.problem) {
    case BodyProblem::none: return std::nullopt;
    case BodyProblem::invalid_json: return Rejection{Status::bad_request, b.message, "invalid_json"};
    case BodyProblem::not_object_or_array: return Rejection{Status::bad_request, b.message, "not_object_or_array"};
    case BodyProblem::empty_array: return Rejection{Status::bad_request, b.message, "empty_array"};
    case BodyProblem::too_many_events: return Rejection{Status::payload_too_large, b.message, "too_many_events"};
  }
  return Rejection{Status::bad_request, b.message, "invalid_json"};
}

std::optional<Rejection> rejection_of(const PublishResult& p) {
  switch (p.kind) {
    case PublishResult::Kind::ok: return std::nullopt;
    case PublishResult::Kind::overloaded:
      return Rejection{Status::too_many_requests, "overloaded: " + p.detail + "; retry later", "overloaded"};
    case PublishResult::Kind::unavailable:
      return Rejection{Status::service_unavailable, "broker unavailable: " + p.detail + "; retry later", "unavailable"};
    case PublishResult::Kind::timeout:
    case PublishResult::Kind::error:
      return Rejection{Status::service_unavailable,
                       "events could not be stored: " + p.detail + "; nothing was accepted, retry later", "publish"};
  }
  return Rejection{Status::service_unavailable, p.detail, "publish"};
}

}  // namespace eventhub::ingest
