#include <eventhub/analytics/openapi.hpp>

#include <eventhub/analytics/query.hpp>

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
json::value money(const char* what) {
  return {{"type", "number"}, {"format", "double"}, {"multipleOf", 0.01},
          {"description", std::string(what) + ", rounded to 2 decimals"}};
}
json::value string_enum(std::initializer_list<const char*> values, bool nullable = false) {
  json::array e;
  for (auto v : values) e.emplace_back(v);
  json::object o{{"type", "string"}, {"enum", e}};
  if (nullable) o["nullable"] = true;
  return o;
}

json::value object(std::initializer_list<std::pair<const char*, json::value>> props) {
  json::object properties;
  json::array required;
  for (const auto& [name, schema] : props) {
    properties[name] = schema;
    required.emplace_back(name);
  }
  return {{"type", "object"}, {"required", required}, {"properties", properties}};
}
json::value array_of(json::value items) { return {{"type", "array"}, {"items", std::move(items)}}; }

json::value query_param(const char* name, json::value schema, const char* description) {
  return {{"name", name}, {"in", "query"}, {"required", false}, {"schema", std::move(schema)},
          {"description", description}};
}

json::value parameters(Endpoint e) {
  json::array out;
  for (auto name : allowed_parameters(e)) {
    if (name == "from")
      out.push_back(query_param("from", {{"type", "string"}, {"format", "date-time"}},
                                "Window start, inclusive (RFC 3339). Default: `to` minus the default window "
                                "(--default-window-h, 168 h)."));
    else if (name == "to")
      out.push_back(query_param("to", {{"type", "string"}, {"format", "date-time"}},
                                "Window end, exclusive (RFC 3339). Default: now. Must be later than `from`."));
    else if (name == "source")
      out.push_back(query_param("source", string_enum({"facebook", "tiktok"}), "Only events of this source."));
    else if (name == "funnelStage")
      out.push_back(query_param("funnelStage", string_enum({"top", "bottom"}), "Only events of this funnel stage."));
    else if (name == "eventType")
      out.push_back(query_param("eventType",
                                string_enum({"ad.view", "page.like", "comment", "video.view", "ad.click",
                                             "form.submission", "checkout.complete", "like", "share",
                                             "profile.visit", "purchase", "follow"}),
                                "Only events of this type."));
    else if (name == "granularity")
      out.push_back(query_param("granularity",
                                {{"type", "string"}, {"enum", {"minute", "hour", "day"}}, {"default", "hour"}},
                                "Bucket size; buckets are aligned in UTC. At most 20000 buckets per answer."));
    else if (name == "by")
      out.push_back(query_param("by", {{"type", "string"}, {"enum", {"events", "revenue"}}, {"default", "events"}},
                                "Ranking: event count, or revenue (ties: more events first, then id ascending)."));
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

json::value operation(Endpoint e, const char* summary, const char* description, const char* schema) {
  return {{"get",
           {{"tags", {"analytics"}},
            {"operationId", endpoint_label(e)},
            {"summary", summary},
            {"description", description},
            {"parameters", parameters(e)},
            {"responses",
             {{"200", {{"description", "OK"}, {"content", {{"application/json", {{"schema", ref(schema)}}}}}}},
              {"400", error_response("A parameter is unknown, repeated or has a bad value; the message names it.")},
              {"500", error_response("Unexpected server error.")},
              {"503", error_response("The database is unreachable or busy, or the query exceeded the statement "
                                     "timeout; retry later.")}}}}}};
}

json::value schemas() {
  json::value stage = object({{"events", integer()}, {"users", integer()}});
  json::value rate = {{"type", "number"}, {"format", "double"}, {"minimum", 0}, {"maximum", 1},
                      {"description", "convertedUsers / top.users (0 when there are no top users), 6 decimals"}};
  json::value funnel_source = object({{"source", string_enum({"facebook", "tiktok"})},
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
                        {"bySource", object({{"facebook", integer()}, {"tiktok", integer()}})},
                        {"byFunnelStage", object({{"top", integer()}, {"bottom", integer()}})},
                        {"byEventType", array_of(object({{"source", string_enum({"facebook", "tiktok"})},
                                                          {"eventType", {{"type", "string"}}},
                                                          {"count", integer()}}))}})},
      {"Timeseries",
       object({{"granularity", string_enum({"minute", "hour", "day"})},
               {"points", array_of(object({{"bucket", {{"type", "string"}, {"format", "date-time"}}},
                                           {"count", integer()},
                                           {"revenue", money("Revenue of the bucket")}}))}})},
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
                                                   {"source", string_enum({"facebook", "tiktok"})},
                                                   {"events", integer()},
                                                   {"revenue", money("Revenue")}}))}})},
      {"Revenue",
       object({{"total", money("Total revenue")},
               {"purchases", integer()},
               {"bySource", array_of(object({{"source", string_enum({"facebook", "tiktok"})},
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
  paths[std::string(endpoint_path(Endpoint::stats))] =
      operation(Endpoint::stats, "Event counts", "Totals, unique users, by source, stage and event type.", "Stats");
  paths[std::string(endpoint_path(Endpoint::timeseries))] = operation(
      Endpoint::timeseries, "Events and revenue over time",
      "Every bucket from the one containing `from` up to the last one starting before `to`, empty buckets "
      "with 0. Buckets are aligned in UTC; only events inside the window are counted.",
      "Timeseries");
  paths[std::string(endpoint_path(Endpoint::funnel))] = operation(
      Endpoint::funnel, "Funnel conversion",
      "Events and users per stage; convertedUsers are users with a top and a bottom event in the window.",
      "Funnel");
  paths[std::string(endpoint_path(Endpoint::countries))] =
      operation(Endpoint::countries, "Events by country",
                "Ordered by events descending (ties: country ascending, null last). Events without a country "
                "are grouped under country null.",
                "Countries");
  paths[std::string(endpoint_path(Endpoint::campaigns_top))] = operation(
      Endpoint::campaigns_top, "Top campaigns", "Campaigns ranked by events or revenue.", "Campaigns");
  paths[std::string(endpoint_path(Endpoint::users_top))] =
      operation(Endpoint::users_top, "Top users", "Users (per source) ranked by events or revenue.", "Users");
  paths[std::string(endpoint_path(Endpoint::revenue))] =
      operation(Endpoint::revenue, "Revenue",
                "Purchases (events with a purchaseAmount): total, by source, by campaign (every campaign with "
                "purchases, null for purchases without a campaign), ordered by revenue descending.",
                "Revenue");
  json::object doc{
      {"openapi", "3.0.3"},
      {"info",
       {{"title", "eventhub analytics API"},
        {"version", "1"},
        {"description", "Read-only analytics over stored events. Window: from <= timestamp < to (UTC)."}}},
      {"tags", {{{"name", "analytics"}}}},
      {"paths", std::move(paths)},
      {"components", {{"schemas", schemas()}}},
  };
  return json::serialize(doc);
}

}  // namespace eventhub::analytics
