#include <eventhub/ingest/decode.hpp>

#include <zlib.h>

#include <algorithm>
#include <cctype>

namespace eventhub::ingest {

namespace {
std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}
bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}
}  // namespace

bool is_json_content_type(std::string_view ct) {
  const auto semi = ct.find(';');
  return iequals(trim(ct.substr(0, semi)), "application/json");
}

Decoded gunzip(std::string_view in, std::size_t max_size, std::string& out) {
  out.clear();
  z_stream zs{};
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) return {DecodeStatus::corrupt, "cannot initialise inflate"};
  struct Guard {
    z_stream* z;
    ~Guard() { inflateEnd(z); }
  } guard{&zs};
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  // Start with a guess, grow geometrically, never beyond max_size + 1 (one byte more tells "over").
  std::size_t capacity = std::min<std::size_t>(std::max<std::size_t>(in.size() * 4, 4096), max_size + 1);
  out.resize(capacity);
  std::size_t produced = 0;
  for (;;) {
    if (produced == out.size()) {
      if (out.size() > max_size) break;
      out.resize(std::min<std::size_t>(out.size() * 2, max_size + 1));
    }
    zs.next_out = reinterpret_cast<Bytef*>(out.data() + produced);
    zs.avail_out = static_cast<uInt>(out.size() - produced);
    const int rc = inflate(&zs, Z_NO_FLUSH);
    produced = out.size() - zs.avail_out;
    if (produced > max_size) break;
    if (rc == Z_STREAM_END) {
      if (zs.avail_in == 0) {
        out.resize(produced);
        return {};
      }
      // Another gzip member follows.
      if (inflateReset(&zs) != Z_OK) return {DecodeStatus::corrupt, "invalid gzip data"};
      continue;
    }
    if (rc == Z_BUF_ERROR && zs.avail_in == 0) return {DecodeStatus::corrupt, "truncated gzip data"};
    if (rc != Z_OK && rc != Z_BUF_ERROR)
      return {DecodeStatus::corrupt, std::string("invalid gzip data: ") + (zs.msg ? zs.msg : "inflate failed")};
  }
  out.clear();
  out.shrink_to_fit();
  return {DecodeStatus::too_large, "decompressed body exceeds the limit of " + std::to_string(max_size) + " bytes"};
}

Decoded decode_body(std::string_view encoding, std::string_view body, std::size_t max_size, std::string& out,
                    bool& identity) {
  identity = false;
  encoding = trim(encoding);
  if (encoding.empty() || iequals(encoding, "identity")) {
    identity = true;
    return {};
  }
  if (iequals(encoding, "gzip") || iequals(encoding, "x-gzip")) return gunzip(body, max_size, out);
  return {DecodeStatus::unsupported_encoding,
          "unsupported Content-Encoding '" + std::string(encoding) + "' (use gzip or none)"};
}

}  // namespace eventhub::ingest
