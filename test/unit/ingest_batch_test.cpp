// ingest body preparation: single/batch, body-level problems, per-event rejections, result body.
#include <eventhub/ingest/batch.hpp>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

using namespace eventhub::ingest;
namespace json = boost::json;

namespace {
const char* kTiktok = R"({"eventId":"tt-1","timestamp":"2026-01-31T12:00:00Z","source":"tiktok","funnelStage":"top",
  "eventType":"like","partner":"p1","data":{"user":{"userId":"t1","username":"tina","followers":3},
  "engagement":{"watchTime":1.5,"percentageWatched":50,"device":"iOS","country":"US","videoId":"v"}}})";
const char* kFacebook = R"({"eventId":"fb-1","timestamp":"2026-01-31T12:00:00Z","source":"facebook","funnelStage":"bottom",
  "eventType":"ad.click","data":{"user":{"userId":"u1","name":"Ann","age":31,"gender":"female",
  "location":{"country":"DE","city":"Berlin"}},"engagement":{"adId":"a","campaignId":"c","clickPosition":"center",
  "device":"mobile","browser":"Chrome","purchaseAmount":null}}})";
}  // namespace

TEST_CASE("single valid event", "[ingest][batch]") {
  PrepareOptions opt;
  auto p = prepare_body(kTiktok, opt);
  REQUIRE(p.problem == BodyProblem::none);
  CHECK_FALSE(p.batch);
  CHECK(p.total == 1);
  REQUIRE(p.valid.size() == 1);
  CHECK(p.rejected.empty());
  const auto& e = p.valid[0];
  CHECK(e.index == 0);
  CHECK(e.event_id == "tt-1");
  CHECK(e.source == "tiktok");
  CHECK(e.subject == "events.tiktok.top");
  // payload is the same JSON (unknown field kept), compact
  CHECK(json::parse(e.payload) == json::parse(kTiktok));
  CHECK(e.payload.find('\n') == std::string::npos);
}

TEST_CASE("batch with valid and invalid events", "[ingest][batch]") {
  PrepareOptions opt;
  opt.subject_prefix = "ev";
  std::string body = std::string("[") + kFacebook + "," + R"({"eventId":"bad-1","source":"facebook"})" + ",42," + kTiktok + "]";
  auto p = prepare_body(body, opt);
  REQUIRE(p.problem == BodyProblem::none);
  CHECK(p.batch);
  CHECK(p.total == 4);
  REQUIRE(p.valid.size() == 2);
  CHECK(p.valid[0].index == 0);
  CHECK(p.valid[0].subject == "ev.facebook.bottom");
  CHECK(p.valid[1].index == 3);
  REQUIRE(p.rejected.size() == 2);
  CHECK(p.rejected[0].index == 1);
  CHECK(p.rejected[0].event_id == std::optional<std::string>("bad-1"));
  CHECK(p.rejected[0].source == "facebook");
  CHECK(p.rejected[1].index == 2);
  CHECK_FALSE(p.rejected[1].event_id.has_value());
  CHECK(p.rejected[1].source == "unknown");
  CHECK(p.rejected[1].errors == std::vector<std::string>{"event: expected object"});
  CHECK(p.issue_kinds.at("missing") == 4);  // timestamp, funnelStage, eventType, data
  CHECK(p.issue_kinds.at("type") == 1);

  auto result = json::parse(render_result(2, 1, p.rejected)).as_object();
  CHECK(result.at("accepted").as_int64() == 2);
  CHECK(result.at("duplicates").as_int64() == 1);
  const auto& rejected = result.at("rejected").as_array();
  REQUIRE(rejected.size() == 2);
  CHECK(rejected[0].at("index").as_int64() == 1);
  CHECK(rejected[0].at("eventId").as_string() == "bad-1");
  CHECK(rejected[0].at("errors").as_array().size() == 4);
  CHECK(rejected[1].at("eventId").is_null());
}

TEST_CASE("body-level problems", "[ingest][batch]") {
  PrepareOptions opt;
  opt.max_batch_events = 2;
  CHECK(prepare_body("", opt).problem == BodyProblem::invalid_json);
  CHECK(prepare_body("{", opt).problem == BodyProblem::invalid_json);
  CHECK(prepare_body(R"({"a":1,"a":2})", opt).problem == BodyProblem::invalid_json);
  CHECK_THAT(prepare_body(R"({"a":1,"a":2})", opt).message, Catch::Contains("duplicate key"));
  CHECK(prepare_body("\"x\"", opt).problem == BodyProblem::not_object_or_array);
  CHECK(prepare_body("12", opt).problem == BodyProblem::not_object_or_array);
  CHECK(prepare_body("null", opt).problem == BodyProblem::not_object_or_array);
  CHECK(prepare_body("[]", opt).problem == BodyProblem::empty_array);
  CHECK(prepare_body("[1,2]", opt).problem == BodyProblem::none);
  auto p = prepare_body("[1,2,3]", opt);
  CHECK(p.problem == BodyProblem::too_many_events);
  CHECK_THAT(p.message, Catch::Contains("limit is 2"));
}

TEST_CASE("result body escapes strings", "[ingest][batch]") {
  RejectedEvent r;
  r.index = 7;
  r.event_id = "a\"b\\c\n";
  r.errors = {"x: \"quoted\""};
  auto v = json::parse(render_result(0, 0, {r}));
  CHECK(v.at("rejected").at(0).at("eventId").as_string() == "a\"b\\c\n");
  CHECK(v.at("rejected").at(0).at("errors").at(0).as_string() == "x: \"quoted\"");
  CHECK(render_result(3, 0, {}) == R"({"accepted":3,"duplicates":0,"rejected":[]})");
}
