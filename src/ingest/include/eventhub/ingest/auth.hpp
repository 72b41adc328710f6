#pragma once
// Optional request authentication for ingest. Pure functions (time passed in) for unit tests.
//  - API keys (--api-keys): `Authorization: Bearer <key>` or `X-Api-Key: <key>`, compared in
//    constant time against every configured key.
//  - HMAC signature (--hmac-secret): `X-Eventhub-Signature: t=<unix seconds>,v1=<hex>` where hex is
//    HMAC-SHA256(secret, "<t>.<body>") over the body bytes as sent (before gzip decoding); t must be
//    within --hmac-tolerance-s of now (replay window). Several v1= entries are allowed (key rotation
//    on the sender side); one matching is enough.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace eventhub::ingest {

bool constant_time_equals(std::string_view a, std::string_view b);

// nullopt when one of `keys` matches; else the reason (for the 401 message).
std::optional<std::string> check_api_key(std::string_view authorization_header, std::string_view x_api_key_header,
                                         const std::vector<std::string>& keys);

std::string hmac_sha256_hex(std::string_view key, std::string_view data);

// nullopt when valid; else the reason.
std::optional<std::string> verify_signature(std::string_view header, std::string_view body, std::string_view secret,
                                            std::int64_t tolerance_seconds, std::int64_t now_unix);

}  // namespace eventhub::ingest
