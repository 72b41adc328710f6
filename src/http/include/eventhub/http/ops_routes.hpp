#pragma once
// Routes every role serves: /health/liveness, /health/readiness, /metrics, and (when given an
// OpenAPI document) /api (Swagger UI, assets embedded in the binary) and /api-json.

#include <eventhub/http/router.hpp>

#include <memory>
#include <string>

namespace prometheus {
class Registry;
}
namespace eventhub::common {
class Health;
}

namespace eventhub::http {

void add_ops_routes(Router& router, const std::string& role, common::Health& health,
                    std::shared_ptr<prometheus::Registry> registry);

// `openapi_json` is the role's OpenAPI 3 document; served as-is at /api-json, rendered at /api.
void add_swagger_routes(Router& router, std::string openapi_json);

}  // namespace eventhub::http
