#include <eventhub/ingest/auth.hpp>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <charconv>
#include <cstdlib>

namespace eventhub::ingest {

bool constant_time_equals(std::string_view a, std::string_view b) {
  // Length is not secret; contents are compared without early exit.
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

namespace {
std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}
bool istarts_with(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(s[i])) != std::tolower(static_cast<unsigned char>(prefix[i]))) return false;
  return true;
}
}  // namespace

std::optional<std::string> check_api_key(std::string_view authorization, std::string_view x_api_key,
                                         const std::vector<std::string>& keys) {
  std::string_view presented;
  authorization = trim(authorization);
  if (!authorization.empty()) {
    if (!istarts_with(authorization, "bearer ")) return "Authorization must be 'Bearer <api key>'";
    presented = trim(authorization.substr(7));
  } else {
    presented = trim(x_api_key);
  }
  if (presented.empty()) return "missing API key (Authorization: Bearer <key> or X-Api-Key)";
  bool match = false;
  for (const auto& k : keys) match |= constant_time_equals(presented, k);  // no early exit
  if (!match) return "invalid API key";
  return std::nullopt;
}

std::string hmac_sha256_hex(std::string_view key, std::string_view data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), mac, &len);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[mac[i] >> 4];
    out += kHex[mac[i] & 0xF];
  }
  return out;
}

std::optional<std::string> verify_signature(std::string_view header, std::string_view body, std::string_view secret,
                                            std::int64_t tolerance_seconds, std::int64_t now_unix) {
  header = trim(header);
  if (header.empty()) return "missing X-Eventhub-Signature";
  std::string_view t;
  std::vector<std::string_view> signatures;
  while (!header.empty()) {
    const auto comma = header.find(',');
    const auto part = trim(header.substr(0, comma));
    header = comma == std::string_view::npos ? std::string_view{} : header.substr(comma + 1);
    if (part.substr(0, 2) == "t=") t = part.substr(2);
    else if (part.substr(0, 3) == "v1=") signatures.push_back(part.substr(3));
  }
  std::int64_t ts = 0;
  const auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), ts);
  if (t.empty() || ec != std::errc() || ptr != t.data() + t.size())
    return "X-Eventhub-Signature needs t=<unix seconds>";
  if (signatures.empty()) return "X-Eventhub-Signature needs v1=<hex hmac-sha256>";
  if (std::llabs(now_unix - ts) > tolerance_seconds) return "signature timestamp outside the tolerance";
  std::string signed_payload;
  signed_payload.reserve(t.size() + 1 + body.size());
  signed_payload.append(t);
  signed_payload += '.';
  signed_payload.append(body);
  const std::string expected = hmac_sha256_hex(secret, signed_payload);
  bool match = false;
  for (auto sig : signatures) {
    std::string lower(sig);
    for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    match |= constant_time_equals(lower, expected);
  }
  if (!match) return "signature does not match";
  return std::nullopt;
}

}  // namespace eventhub::ingest
