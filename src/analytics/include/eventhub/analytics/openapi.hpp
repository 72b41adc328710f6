#pragma once
// The analytics API's OpenAPI 3 document (served at /api-json, rendered at /api): every endpoint,
// parameter (with enums and formats), response schema and error response. Pure; any thread.

#include <string>

namespace eventhub::analytics {

std::string openapi_document();

}  // namespace eventhub::analytics
