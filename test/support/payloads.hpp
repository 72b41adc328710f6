#pragma once
// Request payload helpers shared by unit and integration tests: gzip both ways (independent of the
// ingest decoder and the publisher under test: zlib called directly) and query-string encoding.
#include <string>
#include <string_view>

namespace eventhub::test {

// One gzip member of `in` (level 9). Throws std::runtime_error when zlib fails.
std::string gzip(std::string_view in);

// The decompressed content of a gzip stream. Throws std::runtime_error on a malformed stream.
std::string gunzip(std::string_view in);

// Percent-encodes everything but RFC 3986's unreserved characters (for query parameter values).
std::string url_encode(std::string_view s);

}  // namespace eventhub::test
