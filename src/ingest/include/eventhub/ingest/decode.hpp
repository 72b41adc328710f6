#pragma once
// Request decoding for POST /webhook/event: content type, content encoding (gzip with a cap on the
// decompressed size, so a gzip bomb costs at most `max_size` bytes of memory). Pure functions.

#include <cstddef>
#include <string>
#include <string_view>

namespace eventhub::ingest {

// True for "application/json" with optional parameters ("application/json; charset=utf-8"),
// case-insensitive. Anything else (missing, text/plain, application/x-www-form-urlencoded) is 415.
bool is_json_content_type(std::string_view content_type);

enum class DecodeStatus {
  ok,
  unsupported_encoding,  // 415
  too_large,             // 413: decompressed size over the cap
  corrupt,               // 400: not valid gzip data
};

struct Decoded {
  DecodeStatus status = DecodeStatus::ok;
  std::string message;   // for errors
};

// Decodes `body` according to `content_encoding` ("" / "identity": unchanged; "gzip" / "x-gzip":
// inflated, concatenated members allowed). On success `out` holds the JSON text (for identity it is
// left empty and the caller keeps using `body`: `identity` is set).
Decoded decode_body(std::string_view content_encoding, std::string_view body, std::size_t max_size,
                    std::string& out, bool& identity);

// gzip inflate with a cap; exposed for tests.
Decoded gunzip(std::string_view in, std::size_t max_size, std::string& out);

}  // namespace eventhub::ingest
