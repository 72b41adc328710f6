// events::parse_strict: what Boost.JSON would accept silently or PostgreSQL jsonb cannot store.
#include <eventhub/events/event.hpp>

#include <catch2/catch.hpp>

#include <string>

using eventhub::events::parse_strict;
using eventhub::events::ParseLimits;

namespace {
std::string error_of(std::string_view text, const ParseLimits& limits = {}) {
  auto r = parse_strict(text, limits);
  CHECK_FALSE(r.value.has_value());
  return r.error;
}
}  // namespace

TEST_CASE("parse_strict accepts ordinary JSON and keeps values", "[events][parse]") {
  auto r = parse_strict(R"({"a":1,"b":[true,null,"x",-2.5e3],"c":{"d":"\u00e9\ud83d\ude00"},"big":18446744073709551615})");
  REQUIRE(r.value.has_value());
  CHECK(r.error.empty());
  const auto& o = r.value->as_object();
  CHECK(o.at("a").as_int64() == 1);
  CHECK(o.at("b").as_array().size() == 4);
  CHECK(o.at("b").as_array()[3].as_double() == -2500.0);
  CHECK(std::string(o.at("c").as_object().at("d").as_string()) == "\xC3\xA9\xF0\x9F\x98\x80");
  CHECK(o.at("big").as_uint64() == 18446744073709551615ULL);
  // same key names in different objects are not duplicates
  CHECK(parse_strict(R"([{"k":1},{"k":2},{"x":{"k":3},"k":4}])").value.has_value());
}

TEST_CASE("parse_strict rejects malformed JSON", "[events][parse]") {
  CHECK_THAT(error_of(""), Catch::Contains("invalid JSON"));
  CHECK_THAT(error_of("{"), Catch::Contains("invalid JSON"));
  CHECK_THAT(error_of("{\"a\":1,}"), Catch::Contains("invalid JSON"));
  CHECK_THAT(error_of("{\"a\":1} x"), Catch::Contains("invalid JSON"));
  CHECK_THAT(error_of("{\"a\":1} {}"), Catch::Contains("invalid JSON"));
  CHECK_THAT(error_of("// c\n{}"), Catch::Contains("invalid JSON"));
  CHECK_THAT(error_of("{'a':1}"), Catch::Contains("invalid JSON"));
  CHECK_THAT(error_of("[NaN]"), Catch::Contains("invalid JSON"));
}

TEST_CASE("parse_strict rejects duplicate keys with their path", "[events][parse]") {
  CHECK(error_of(R"({"eventId":"a","eventId":"b"})") == "duplicate key \"eventId\" at $.eventId");
  CHECK(error_of(R"([{"a":1},{"data":{"user":{"x":1,"y":2,"x":3}}}])") ==
        "duplicate key \"x\" at $[1].data.user.x");
  // keys equal after unescaping are duplicates
  CHECK_THAT(error_of(R"({"ab":1,"a\u0062":2})"), Catch::Contains("duplicate key \"ab\""));
}

TEST_CASE("parse_strict limits nesting depth", "[events][parse]") {
  ParseLimits limits;
  limits.max_depth = 4;
  CHECK(parse_strict("[[[[1]]]]", limits).value.has_value());
  CHECK_THAT(error_of("[[[[[1]]]]]", limits), Catch::StartsWith("nesting deeper than 4"));
  CHECK_THAT(error_of(R"({"a":{"b":{"c":{"d":{}}}}})", limits), Catch::StartsWith("nesting deeper than 4 at $.a.b.c.d"));
  // default limit 32, and a very deep document does not recurse
  std::string deep(100000, '[');
  CHECK_THAT(error_of(deep), Catch::StartsWith("nesting deeper than 32"));
}

TEST_CASE("parse_strict rejects invalid UTF-8", "[events][parse]") {
  CHECK(error_of("{\"a\":\"\xC3\x28\"}") == "invalid UTF-8 at byte 6");
  CHECK(error_of("{\"a\":\"ok\xFF\"}") == "invalid UTF-8 at byte 8");
  CHECK_THAT(error_of("{\"a\xE2\x82\":1}"), Catch::StartsWith("invalid UTF-8"));
  CHECK_THAT(error_of("{\"a\":\"\xED\xA0\x80\"}"), Catch::StartsWith("invalid UTF-8"));  // encoded surrogate
  CHECK_THAT(error_of("{\"a\":\"\xC0\xAF\"}"), Catch::StartsWith("invalid UTF-8"));      // overlong
  CHECK_THAT(error_of("\xEF\xBB\xBF{}"), Catch::StartsWith("invalid"));                   // BOM is not JSON
  // lone surrogate escapes cannot be stored by PostgreSQL either
  CHECK_THAT(error_of(R"({"a":"\ud800"})"), Catch::StartsWith("invalid"));
  CHECK_THAT(error_of(R"({"a":"\udc00x"})"), Catch::StartsWith("invalid"));
}

TEST_CASE("parse_strict rejects U+0000 in strings and keys", "[events][parse]") {
  CHECK(error_of(R"({"a":"x\u0000y"})") == "string contains \\u0000 at $.a");
  CHECK(error_of(R"({"a\u0000":1})") == "key contains \\u0000 at $");
  CHECK_THAT(error_of(std::string("{\"a\":\"x\0y\"}", 11)), Catch::StartsWith("invalid"));  // raw NUL: invalid JSON
}

TEST_CASE("parse_strict rejects numbers out of range", "[events][parse]") {
  CHECK_THAT(error_of(R"({"a":1e400})"), Catch::StartsWith("number out of range"));
  CHECK_THAT(error_of(R"({"a":-1e400})"), Catch::StartsWith("number out of range"));
  CHECK(error_of(R"({"a":18446744073709551616})") == "integer out of 64-bit range at $.a");
  CHECK(error_of(R"([1,-9223372036854775809])") == "integer out of 64-bit range at $[1]");
  CHECK(parse_strict(R"([-9223372036854775808, 1.5e300, 1e-400])").value.has_value());
}

TEST_CASE("parse_strict limits string length", "[events][parse]") {
  ParseLimits limits;
  limits.max_string_bytes = 8;
  CHECK(parse_strict(R"({"12345678":"12345678"})", limits).value.has_value());
  CHECK_THAT(error_of(R"({"a":"123456789"})", limits), Catch::StartsWith("string longer than 8 bytes"));
  CHECK_THAT(error_of(R"({"123456789":1})", limits), Catch::StartsWith("key longer than 8 bytes"));
}
