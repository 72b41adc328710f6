#include <eventhub/http/router.hpp>
#include <eventhub/http/types.hpp>

#include <catch2/catch.hpp>

using namespace eventhub::http;

TEST_CASE("query strings are decoded, repeats and bad escapes reported", "[http]") {
  auto q = parse_query("/analytics/stats?from=2026-01-01T00%3A00%3A00Z&source=facebook&x=a+b");
  CHECK(q.values.at("from") == "2026-01-01T00:00:00Z");
  CHECK(q.values.at("source") == "facebook");
  CHECK(q.values.at("x") == "a b");
  CHECK(q.repeated.empty());
  q = parse_query("/p?limit=1&limit=2&bad=%zz&&trail=%4");
  CHECK(q.values.at("limit") == "1");
  REQUIRE(q.repeated.size() == 1);
  CHECK(q.repeated[0] == "limit");
  CHECK(q.malformed == std::vector<std::string>{"bad", "trail"});
  CHECK(parse_query("/p").values.empty());
  q = parse_query("/p?=x&a=1");
  CHECK(q.values.size() == 1);
  CHECK(q.malformed == std::vector<std::string>{"=x"});
  CHECK(path_of("/a/b?c=d") == "/a/b");
}

TEST_CASE("router answers 404 for unknown paths and 405 with Allow for other methods", "[http]") {
  Router r;
  r.add(bhttp::verb::post, "/webhook/event", [](Request&) -> net::awaitable<Response> { co_return Response{}; });
  auto m = r.match(bhttp::verb::post, "/webhook/event?x=1");
  CHECK(m.handler != nullptr);
  CHECK(m.route == "/webhook/event");
  m = r.match(bhttp::verb::get, "/webhook/event");
  CHECK(m.handler == nullptr);
  CHECK(m.status == Status::method_not_allowed);
  CHECK(m.allow == "POST");
  m = r.match(bhttp::verb::get, "/nope");
  CHECK(m.status == Status::not_found);
  CHECK(m.route == "unmatched");
}

TEST_CASE("error bodies follow the contract", "[http]") {
  auto res = json_error(Status::bad_request, "limit: must be an integer between 1 and 1000 \"x\"");
  CHECK(res.body() ==
        R"({"statusCode":400,"error":"Bad Request","message":"limit: must be an integer between 1 and 1000 \"x\""})");
  CHECK(res[bhttp::field::content_type] == "application/json; charset=utf-8");
  res = json_error(Status::unprocessable_entity, "all invalid", R"([1])");
  CHECK(res.body() == R"({"statusCode":422,"error":"Unprocessable Entity","message":"all invalid","details":[1]})");
}
