#pragma once
// The analytics endpoints as one table: path, metric label, accepted parameters, documentation,
// response schema name and the function computing the body. The router, the parameter parser and
// the OpenAPI document all read it, so an endpoint is added in one place.

#include <eventhub/analytics/params.hpp>
#include <eventhub/analytics/snapshot.hpp>

#include <span>
#include <string>
#include <string_view>

namespace eventhub::analytics {

struct EndpointSpec {
  Endpoint id;
  std::string_view path;         // "/analytics/stats"
  std::string_view label;        // metrics label and OpenAPI operationId: "stats", "campaigns_top", ...
  std::string_view summary;
  std::string_view description;
  std::string_view schema;       // OpenAPI components/schemas name of the 200 body
  std::span<const std::string_view> parameters;
  std::string (*answer)(Snapshot&, const QueryOptions&);
};

std::span<const EndpointSpec> endpoints();
const EndpointSpec& spec(Endpoint e);

}  // namespace eventhub::analytics
