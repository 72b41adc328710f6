// Every way ingest refuses a request maps to one status, a message and a bounded metrics reason;
// the answer carries the contract's error body and Retry-After only when the client should retry.
#include <eventhub/ingest/rejections.hpp>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

using namespace eventhub;
using http::Status;

TEST_CASE("ingest rejections: status, reason and answer", "[ingest][rejection]") {
  ingest::Decoded d;
  CHECK_FALSE(ingest::rejection_of(d));
  d.status = ingest::DecodeStatus::too_large;
  d.message = "too big";
  CHECK(ingest::rejection_of(d)->status == Status::payload_too_large);
  d.status = ingest::DecodeStatus::unsupported_encoding;
  CHECK(ingest::rejection_of(d)->status == Status::unsupported_media_type);
  d.status = ingest::DecodeStatus::corrupt;
  CHECK(ingest::rejection_of(d)->status == Status::bad_request);
  CHECK(ingest::rejection_of(d)->reason == "encoding");

  ingest::PreparedBody b;
  CHECK_FALSE(ingest::rejection_of(b));
  b.problem = ingest::BodyProblem::too_many_events;
  CHECK(ingest::rejection_of(b)->status == Status::payload_too_large);
  CHECK(ingest::rejection_of(b)->reason == "too_many_events");
  b.problem = ingest::BodyProblem::empty_array;
  CHECK(ingest::rejection_of(b)->status == Status::bad_request);

  ingest::PublishResult p;
  CHECK_FALSE(ingest::rejection_of(p));
  p.kind = ingest::PublishResult::Kind::overloaded;
  p.detail = "limit 10";
  const auto busy = *ingest::rejection_of(p);
  CHECK(busy.status == Status::too_many_requests);
  CHECK(busy.retryable());
  const auto answer = http::respond(busy, 11, 7);
  CHECK(answer.result() == Status::too_many_requests);
  CHECK(answer[http::bhttp::field::retry_after] == "7");
  const auto body = boost::json::parse(answer.body());
  CHECK(body.at("statusCode").as_int64() == 429);
  CHECK(body.at("error").as_string() == "Too Many Requests");
  CHECK(std::string(body.at("message").as_string()).find("limit 10") != std::string::npos);
  for (auto kind : {ingest::PublishResult::Kind::unavailable, ingest::PublishResult::Kind::timeout,
                    ingest::PublishResult::Kind::error}) {
    p.kind = kind;
    CHECK(ingest::rejection_of(p)->status == Status::service_unavailable);
  }

  const auto denied = http::respond(ingest::unauthorized("no key", true), 11, 7);
  CHECK(denied.result() == Status::unauthorized);
  CHECK(denied[http::bhttp::field::www_authenticate] == "Bearer");
  CHECK(denied.find(http::bhttp::field::retry_after) == denied.end());
  CHECK(ingest::unsupported_content_type().status == Status::unsupported_media_type);
}
