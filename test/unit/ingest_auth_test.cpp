// ingest authentication: API keys, HMAC-SHA256 (RFC 4231 vectors), signature header.
#include <eventhub/ingest/auth.hpp>

#include <catch2/catch.hpp>

using namespace eventhub::ingest;

TEST_CASE("HMAC-SHA256 matches RFC 4231", "[ingest][auth]") {
  // Test case 1
  CHECK(hmac_sha256_hex(std::string(20, '\x0b'), "Hi There") ==
        "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  // Test case 2
  CHECK(hmac_sha256_hex("Jefe", "what do ya want for nothing?") ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  // Test case 3
  CHECK(hmac_sha256_hex(std::string(20, '\xaa'), std::string(50, '\xdd')) ==
        "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");
  // Test case 6: key longer than the block size
  CHECK(hmac_sha256_hex(std::string(131, '\xaa'), "Test Using Larger Than Block-Size Key - Hash Key First") ==
        "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

TEST_CASE("constant-time comparison", "[ingest][auth]") {
  CHECK(constant_time_equals("abc", "abc"));
  CHECK_FALSE(constant_time_equals("abc", "abd"));
  CHECK_FALSE(constant_time_equals("abc", "abcd"));
  CHECK(constant_time_equals("", ""));
}

TEST_CASE("API keys: Bearer or X-Api-Key", "[ingest][auth]") {
  const std::vector<std::string> keys = {"k1-secret", "k2-secret"};
  CHECK_FALSE(check_api_key("Bearer k1-secret", "", keys).has_value());
  CHECK_FALSE(check_api_key("bearer  k2-secret ", "", keys).has_value());
  CHECK_FALSE(check_api_key("", "k2-secret", keys).has_value());
  CHECK(check_api_key("", "", keys) == std::optional<std::string>("missing API key (Authorization: Bearer <key> or X-Api-Key)"));
  CHECK(check_api_key("Bearer nope", "", keys) == std::optional<std::string>("invalid API key"));
  CHECK(check_api_key("Basic azE6eA==", "k1-secret", keys).has_value());  // a wrong scheme is not ignored
  CHECK(check_api_key("", "k1-secre", keys).has_value());
}

TEST_CASE("HMAC signature header", "[ingest][auth]") {
  const std::string body = R"({"eventId":"x"})";
  const std::string secret = "s3cret";
  const std::int64_t now = 1'767'225'600;
  const std::string sig = hmac_sha256_hex(secret, std::to_string(now) + "." + body);
  const std::string header = "t=" + std::to_string(now) + ",v1=" + sig;
  CHECK_FALSE(verify_signature(header, body, secret, 300, now).has_value());
  CHECK_FALSE(verify_signature(header, body, secret, 300, now + 300).has_value());
  CHECK(verify_signature(header, body, secret, 300, now + 301) ==
        std::optional<std::string>("signature timestamp outside the tolerance"));
  CHECK(verify_signature(header, body + " ", secret, 300, now) == std::optional<std::string>("signature does not match"));
  CHECK(verify_signature(header, body, "other", 300, now).has_value());
  CHECK_FALSE(verify_signature("t=" + std::to_string(now) + ", v1=deadbeef, v1=" + sig, body, secret, 300, now).has_value());
  CHECK(verify_signature("", body, secret, 300, now).has_value());
  CHECK(verify_signature("v1=" + sig, body, secret, 300, now).has_value());
  CHECK(verify_signature("t=abc,v1=" + sig, body, secret, 300, now).has_value());
  CHECK(verify_signature("t=" + std::to_string(now), body, secret, 300, now).has_value());
}
