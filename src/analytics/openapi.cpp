#include <eventhub/analytics/openapi.hpp>

#include <eventhub/analytics/endpoints.hpp>
#include <eventhub/events/vocabulary.hpp>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <string>

namespace eventhub::analytics {

namespace {

namespace json = boost::json;

json::value ref(const char* name) { return {{"$ref", std::string("#/components/schemas/") + name}}; }
json::value integer() { return {{"type", "integer"}, {"format", "int64"}, {"minimum", 0}}; }
json::value integer(const char* description) {
  return {{"type", "integer"}, {"format", "int64"}, {"minimum", 0}, {"description", description}};
}
json::value money(const char* what) {
  return {{"type", "number"}, {"format", "double"}, {"multipleOf", 0.01},
          {"description", std::string(what) + ", rounded to 2 decimals"}};
}
json::value string_enum(std::span<const std::string_view> values) {
  json::array e;
  for (auto v : values) e.emplace_back(json::string_view(v.data(), v.size()));
  return json::object{{"type", "string"}, {"enum", e}};
}
json::value sources() { return string_enum(events::source_names()); }

json::value object(std::initializer_list<std::pair<const char*, json::value>> props) {
  json::object properties;
  json::array required;
  for (const auto& [name, schema] : props) {
    properties[name] = schema;
    required.emplace_back(name);
  }
  return {{"type", "object"}, {"required", required}, {"properties", properties}};
}
// An object with one integer property per name (every source, every stage).
json::value integers_by(std::span<const std::string_view> names) {
  json::object properties;
  json::array required;
  for (auto n : names) {
    properties[n] = integer();
    required.emplace_back(json::string_view(n.data(), n.size()));
  }
  return {{"type", "object"}, {"required", required}, {"properties", properties}};
}
json::value array_of(json::value items) { return {{"type", "array"}, {"items", std::move(items)}}; }

json::value query_param(const char* name, json::value schema, const char* description) {
  return {{"name", name}, {"in", "query"}, {"required", false}, {"schema", std::move(schema)},
          {"description", description}};
}

json::value parameters(const EndpointSpec& spec) {
  json::array out;
  for (auto name : spec.parameters) {
    if (name == "from")
      out.push_back(query_param("from", {{"type", "string"}, {"format", "date-time"}},
                                "Window start, inclusive (RFC 3339). Default: `to` minus the default window "
                                "(--default-window-h, 168 h)."));
    else if (name == "to")
      out.push_back(query_param("to", {{"type", "string"}, {"format", "date-time"}},
                                "Window end, exclusive (RFC 3339). Default: now. Must be later than `from`."));
    else if (name == "source")
      out.push_back(query_param("source", sources(), "Only events of this source."));
    else if (name == "funnelStage")
      out.push_back(query_param("funnelStage", string_enum(events::stage_names()), "Only events of this funnel stage."));
    else if (name == "eventType")
      out.push_back(query_param("eventType", string_enum(events::event_type_names()), "Only events of this type."));
    else if (name == "granularity")
      out.push_back(query_param("granularity",
                                {{"type", "string"}, {"enum", {"minute", "hour", "day"}}, {"default", "hour"}},
                                "Bucket size; buckets are aligned in UTC. At most 20000 buckets per answer."));
    else if (name == "by")
      out.push_back(query_param("by", {{"type", "string"}, {"enum", {"events", "revenue"}}, {"default", "events"}},
                                "Ranking: event count, or revenue (ties: more events first, then id ascending)."));
    else if (name == "limit" && spec.id == Endpoint::countries)
      out.push_back(query_param("limit", {{"type", "integer"}, {"minimum", 1}, {"maximum", kMaxLimit}},
                                "Number of countries (the first by events). Default: all."));
    else if (name == "limit")
      out.push_back(query_param(
          "limit", {{"type", "integer"}, {"minimum", 1}, {"maximum", kMaxLimit}, {"default", kDefaultLimit}},
          "Number of entries."));
  }
  return out;
}

json::value error_response(const char* description) {
  return {{"description", description}, {"content", {{"application/json", {{"schema", ref("Error")}}}}}};
}

json::value operation(const EndpointSpec& e) {
  const std::string schema(e.schema);
  return {{"get",
           {{"tags", {"analytics"}},
            {"operationId", json::string_view(e.label.data(), e.label.size())},
            {"summary", json::string_view(e.summary.data(), e.summary.size())},
            {"description", json::string_view(e.description.data(), e.description.size())},
            {"parameters", parameters(e)},
            {"responses",
             {{"200", {{"description", "OK"}, {"content", {{"application/json", {{"schema", ref(schema.c_str())}}}}}}},
              {"400", error_response("A parameter is unknown, repeated or has a bad value; the message names it.")},
              {"500", error_response("Unexpected server error.")},
              {"503", error_response("The database is unreachable or busy, the query exceeded the statement "
                                     "timeout, or the rollups of events stored before an upgrade are still being "
                                     "built; retry later (Retry-After).")}}}}}};
}

json::value schemas() {
  json::value stage = object({{"events", integer()}, {"users", integer()}});
  json::value rate = {{"type", "number"}, {"format", "double"}, {"minimum", 0}, {"maximum", 1},
                      {"description", "convertedUsers / top.users (0 when there are no top users), 6 decimals"}};
  json::value funnel_source = object({{"source", sources()},
                                      {"top", ref("StageCounts")},
                                      {"bottom", ref("StageCounts")},
                                      {"convertedUsers", integer()},
                                      {"conversionRate", rate}});
  return {
      {"Error", object({{"statusCode", {{"type", "integer"}}},
                        {"error", {{"type", "string"}}},
                        {"message", {{"type", "string"}}}})},
      {"Stats", object({{"total", integer()},
                        {"uniqueUsers", integer()},
                        {"bySource", integers_by(events::source_names())},
                        {"byFunnelStage", integers_by(events::stage_names())},
                        {"byEventType", array_of(object({{"source", sources()},
                                                          {"eventType", {{"type", "string"}}},
                                                          {"count", integer()}}))}})},
      {"Timeseries",
       object({{"granularity", {{"type", "string"}, {"enum", {"minute", "hour", "day"}}}},
               {"points", array_of(object({{"bucket", {{"type", "string"}, {"format", "date-time"}}},
                                           {"count", integer()},
                                           {"revenue", money("Revenue of the bucket")},
                                           {"users", integer("Distinct users with an event in the bucket (exact)")}}))}})},
      {"StageCounts", stage},
      {"FunnelSource", funnel_source},
      {"Funnel", object({{"top", ref("StageCounts")},
                         {"bottom", ref("StageCounts")},
                         {"convertedUsers", integer()},
                         {"conversionRate", rate},
                         {"bySource", array_of(ref("FunnelSource"))}})},
      {"Countries", object({{"countries", array_of(object({{"country", {{"type", "string"}, {"nullable", true}}},
                                                           {"events", integer()},
                                                           {"users", integer()},
                                                           {"revenue", money("Revenue")}}))}})},
      {"Campaigns", object({{"campaigns", array_of(object({{"campaignId", {{"type", "string"}}},
                                                           {"events", integer()},
                                                           {"purchases", integer()},
                                                           {"revenue", money("Revenue")}}))}})},
      {"Users", object({{"users", array_of(object({{"userId", {{"type", "string"}}},
                                                   {"source", sources()},
                                                   {"events", integer()},
                                                   {"revenue", money("Revenue")}}))}})},
      {"Revenue",
       object({{"total", money("Total revenue")},
               {"purchases", integer()},
               {"bySource", array_of(object({{"source", sources()},
                                             {"revenue", money("Revenue")},
                                             {"purchases", integer()}}))},
               {"byCampaign", array_of(object({{"campaignId", {{"type", "string"}, {"nullable", true}}},
                                               {"revenue", money("Revenue")},
                                               {"purchases", integer()}}))}})},
  };
}

}  // namespace

std::string openapi_document() {
  json::object paths;
  for (const auto& e : endpoints()) paths[std::string(e.path)] = operation(e);
  json::object doc{
      {"openapi", "3.0.3"},
      {"info",
       {{"title", "eventhub analytics API"},
        {"version", "1"},
        {"description",
         "Read-only analytics over stored events. Window: from <= timestamp < to (UTC). Every figure is exact "
         "(distinct users too), at any window precision: whole minutes, hours and days come from rollups kept "
         "by the worker, the edges and the events not folded yet from the stored rows."}}},
      {"tags", {{{"name", "analytics"}}}},
      {"paths", std::move(paths)},
      {"components", {{"schemas", schemas()}}},
  };
  return json::serialize(doc);
}

}  // namespace eventhub::analytics
