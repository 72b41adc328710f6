#pragma once
// The OpenAPI 3 document of the ingest role (served at /api-json, rendered at /api).

#include <string>

namespace eventhub::ingest {

// `auth` adds the API-key security schemes and the 401 answer (when --api-keys / --hmac-secret).
std::string openapi_document(bool auth = false);

}  // namespace eventhub::ingest
