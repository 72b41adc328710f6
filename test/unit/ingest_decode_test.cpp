// ingest request decoding: content type, gzip with a decompressed-size cap.
#include <eventhub/ingest/decode.hpp>

#include <catch2/catch.hpp>
#include "payloads.hpp"

#include <string>

using namespace eventhub::ingest;
using eventhub::test::gzip;

TEST_CASE("content type must be application/json", "[ingest][decode]") {
  CHECK(is_json_content_type("application/json"));
  CHECK(is_json_content_type("Application/JSON; charset=utf-8"));
  CHECK(is_json_content_type(" application/json ;charset=UTF-8"));
  CHECK_FALSE(is_json_content_type(""));
  CHECK_FALSE(is_json_content_type("text/plain"));
  CHECK_FALSE(is_json_content_type("application/jsonx"));
  CHECK_FALSE(is_json_content_type("application/x-www-form-urlencoded"));
  CHECK_FALSE(is_json_content_type("multipart/form-data; boundary=x"));
}

TEST_CASE("identity and unsupported encodings", "[ingest][decode]") {
  std::string out;
  bool identity = false;
  CHECK(decode_body("", "{}", 10, out, identity).status == DecodeStatus::ok);
  CHECK(identity);
  CHECK(decode_body("identity", "{}", 10, out, identity).status == DecodeStatus::ok);
  CHECK(identity);
  auto d = decode_body("br", "{}", 10, out, identity);
  CHECK(d.status == DecodeStatus::unsupported_encoding);
  CHECK_THAT(d.message, Catch::Contains("br"));
  CHECK(decode_body("deflate", "{}", 10, out, identity).status == DecodeStatus::unsupported_encoding);
}

TEST_CASE("gzip round trip, concatenated members, size cap", "[ingest][decode]") {
  const std::string json = R"([{"a":1},{"b":"xyz"}])";
  std::string out;
  bool identity = true;
  auto d = decode_body("gzip", gzip(json), 1 << 20, out, identity);
  CHECK(d.status == DecodeStatus::ok);
  CHECK_FALSE(identity);
  CHECK(out == json);

  CHECK(gunzip(gzip("abc") + gzip("def"), 100, out).status == DecodeStatus::ok);
  CHECK(out == "abcdef");

  // exactly at the cap is fine, one byte over is not
  const std::string big(1000, 'x');
  CHECK(gunzip(gzip(big), 1000, out).status == DecodeStatus::ok);
  CHECK(out.size() == 1000);
  CHECK(gunzip(gzip(big), 999, out).status == DecodeStatus::too_large);
  CHECK(out.empty());
}

TEST_CASE("gzip bomb stops at the cap", "[ingest][decode]") {
  const std::string zeros(24 * 1024 * 1024, '0');  // 24 MiB -> ~24 KiB compressed
  const std::string bomb = gzip(zeros);
  CHECK(bomb.size() < 200 * 1024);
  std::string out;
  auto d = gunzip(bomb, 4 * 1024 * 1024, out);
  CHECK(d.status == DecodeStatus::too_large);
  CHECK_THAT(d.message, Catch::Contains("4194304"));
  CHECK(out.capacity() <= 4 * 1024 * 1024 + 1);
}

TEST_CASE("corrupt or truncated gzip is reported", "[ingest][decode]") {
  std::string out;
  CHECK(gunzip("not gzip at all", 100, out).status == DecodeStatus::corrupt);
  const std::string z = gzip(std::string(500, 'a'));
  CHECK(gunzip(std::string_view(z).substr(0, z.size() / 2), 1000, out).status == DecodeStatus::corrupt);
  CHECK(gunzip(z + "garbage", 1000, out).status == DecodeStatus::corrupt);
  CHECK(gunzip("", 100, out).status == DecodeStatus::corrupt);
}
