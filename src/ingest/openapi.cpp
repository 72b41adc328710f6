#include <eventhub/ingest/openapi.hpp>

#include <eventhub/events/vocabulary.hpp>


#include <boost/json.hpp>

namespace eventhub::ingest {

namespace {

// The document without the optional auth parts. Kept as JSON text so it reads like the spec.
constexpr const char* kDocument = R"json({
  "openapi": "3.0.3",
  "info": {
    "title": "eventhub ingest",
    "version": "1",
    "description": "Webhook front door: validates facebook/tiktok events and stores them durably in JetStream before answering 202. Retry 429/503 answers (Retry-After); resending an eventId is safe (stored once)."
  },
  "paths": {
    "/webhook/event": {
      "post": {
        "summary": "Submit one event or a batch (JSON array) of events",
        "operationId": "postEvent",
        "parameters": [
          {"name": "Content-Encoding", "in": "header", "required": false,
           "schema": {"type": "string", "enum": ["gzip", "identity"]},
           "description": "gzip bodies are inflated; the decompressed size is capped (413 above it)"}
        ],
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {"oneOf": [
                {"$ref": "#/components/schemas/Event"},
                {"$ref": "#/components/schemas/EventBatch"}
              ]},
              "examples": {
                "facebookTop": {"$ref": "#/components/examples/FacebookTop"},
                "tiktokBottomBatch": {"$ref": "#/components/examples/TiktokBatch"}
              }
            }
          }
        },
        "responses": {
          "202": {"description": "At least one event accepted; every accepted event is durably stored in JetStream. Invalid events of the batch are listed in `rejected`.",
                  "content": {"application/json": {"schema": {"$ref": "#/components/schemas/IngestResult"}}}},
          "400": {"$ref": "#/components/responses/BadRequest"},
          "404": {"$ref": "#/components/responses/NotFound"},
          "405": {"$ref": "#/components/responses/MethodNotAllowed"},
          "413": {"$ref": "#/components/responses/PayloadTooLarge"},
          "415": {"$ref": "#/components/responses/UnsupportedMediaType"},
          "422": {"description": "Every event in the body is invalid; nothing was stored",
                  "content": {"application/json": {"schema": {"$ref": "#/components/schemas/IngestResult"}}}},
          "429": {"$ref": "#/components/responses/TooManyRequests"},
          "431": {"$ref": "#/components/responses/HeadersTooLarge"},
          "500": {"$ref": "#/components/responses/InternalError"},
          "503": {"$ref": "#/components/responses/ServiceUnavailable"}
        }
      }
    },
    "/health/liveness": {
      "get": {"summary": "Process is alive", "operationId": "liveness",
              "responses": {"200": {"description": "alive", "content": {"application/json": {"schema": {
                "type": "object", "required": ["status"], "properties": {"status": {"type": "string", "enum": ["ok"]}}}}}}}}
    },
    "/health/readiness": {
      "get": {"summary": "Ready to accept events (NATS connected, streams set up, not draining)", "operationId": "readiness",
              "responses": {
                "200": {"description": "ready", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Readiness"}}}},
                "503": {"description": "not ready; the failing check is named", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Readiness"}}}}}}
    },
    "/metrics": {
      "get": {"summary": "Prometheus metrics", "operationId": "metrics",
              "responses": {"200": {"description": "Prometheus text format", "content": {"text/plain": {"schema": {"type": "string"}}}}}}
    }
  },
  "components": {
    "schemas": {
      "Event": {
        "description": "One event. Unknown extra fields are kept as they came.",
        "oneOf": [
          {"$ref": "#/components/schemas/FacebookTopEvent"},
          {"$ref": "#/components/schemas/FacebookBottomEvent"},
          {"$ref": "#/components/schemas/TiktokTopEvent"},
          {"$ref": "#/components/schemas/TiktokBottomEvent"}
        ]
      },
      "EventBatch": {
        "type": "array", "minItems": 1, "maxItems": 10000,
        "description": "A batch: valid events are accepted even if others are rejected. The item limit is --max-batch-events (default 10000; 413 above it).",
        "items": {"$ref": "#/components/schemas/Event"}
      },
      "EventId": {"type": "string", "minLength": 1, "maxLength": 128, "description": "Idempotency key (Nats-Msg-Id): a resent eventId is accepted again and stored once"},
      "Timestamp": {"type": "string", "format": "date-time", "description": "RFC 3339 with offset, e.g. 2026-01-31T12:00:00Z", "example": "2026-01-31T12:00:00Z"},
      "Decimal": {"type": "string", "pattern": "^(0|[1-9][0-9]{0,13})(\\.[0-9]{1,4})?$", "example": "19.99"},
      "FacebookUser": {
        "type": "object", "required": ["userId", "name", "age", "gender", "location"],
        "properties": {
          "userId": {"type": "string"}, "name": {"type": "string"},
          "age": {"type": "integer", "minimum": 0, "maximum": 150},
          "gender": {"type": "string", "enum": ["male", "female", "non-binary"]},
          "location": {"type": "object", "required": ["country", "city"],
                       "properties": {"country": {"type": "string"}, "city": {"type": "string"}}}
        }
      },
      "TiktokUser": {
        "type": "object", "required": ["userId", "username", "followers"],
        "properties": {"userId": {"type": "string"}, "username": {"type": "string"}, "followers": {"type": "number", "minimum": 0}}
      },
      "FacebookTopEngagement": {
        "type": "object", "required": ["actionTime", "referrer"],
        "properties": {
          "actionTime": {"type": "string"},
          "referrer": {"type": "string", "enum": ["newsfeed", "marketplace", "groups"]},
          "videoId": {"type": "string", "nullable": true, "description": "may be null or absent"}
        }
      },
      "FacebookBottomEngagement": {
        "type": "object", "required": ["adId", "campaignId", "clickPosition", "device", "browser"],
        "properties": {
          "adId": {"type": "string"}, "campaignId": {"type": "string"},
          "clickPosition": {"type": "string", "enum": ["top_left", "bottom_right", "center"]},
          "device": {"type": "string", "enum": ["mobile", "desktop"]},
          "browser": {"type": "string", "enum": ["Chrome", "Firefox", "Safari"]},
          "purchaseAmount": {"allOf": [{"$ref": "#/components/schemas/Decimal"}], "nullable": true, "description": "may be null or absent"}
        }
      },
      "TiktokTopEngagement": {
        "type": "object", "required": ["watchTime", "percentageWatched", "device", "country", "videoId"],
        "properties": {
          "watchTime": {"type": "number", "minimum": 0},
          "percentageWatched": {"type": "number", "minimum": 0, "maximum": 100},
          "device": {"type": "string", "enum": ["Android", "iOS", "Desktop"]},
          "country": {"type": "string"}, "videoId": {"type": "string"}
        }
      },
      "TiktokBottomEngagement": {
        "type": "object", "required": ["actionTime"],
        "properties": {
          "actionTime": {"type": "string"},
          "profileId": {"type": "string", "nullable": true, "description": "may be null or absent"},
          "purchasedItem": {"type": "string", "nullable": true, "description": "may be null or absent"},
          "purchaseAmount": {"allOf": [{"$ref": "#/components/schemas/Decimal"}], "nullable": true, "description": "may be null or absent"}
        }
      },
      "FacebookTopEvent": {
        "type": "object", "required": ["eventId", "timestamp", "source", "funnelStage", "eventType", "data"],
        "properties": {
          "eventId": {"$ref": "#/components/schemas/EventId"}, "timestamp": {"$ref": "#/components/schemas/Timestamp"},
          "source": {"type": "string"}, "funnelStage": {"type": "string"}, "eventType": {"type": "string"},
          "data": {"type": "object", "required": ["user", "engagement"], "properties": {
            "user": {"$ref": "#/components/schemas/FacebookUser"},
            "engagement": {"$ref": "#/components/schemas/FacebookTopEngagement"}}}
        }
      },
      "FacebookBottomEvent": {
        "type": "object", "required": ["eventId", "timestamp", "source", "funnelStage", "eventType", "data"],
        "properties": {
          "eventId": {"$ref": "#/components/schemas/EventId"}, "timestamp": {"$ref": "#/components/schemas/Timestamp"},
          "source": {"type": "string"}, "funnelStage": {"type": "string"}, "eventType": {"type": "string"},
          "data": {"type": "object", "required": ["user", "engagement"], "properties": {
            "user": {"$ref": "#/components/schemas/FacebookUser"},
            "engagement": {"$ref": "#/components/schemas/FacebookBottomEngagement"}}}
        }
      },
      "TiktokTopEvent": {
        "type": "object", "required": ["eventId", "timestamp", "source", "funnelStage", "eventType", "data"],
        "properties": {
          "eventId": {"$ref": "#/components/schemas/EventId"}, "timestamp": {"$ref": "#/components/schemas/Timestamp"},
          "source": {"type": "string"}, "funnelStage": {"type": "string"}, "eventType": {"type": "string"},
          "data": {"type": "object", "required": ["user", "engagement"], "properties": {
            "user": {"$ref": "#/components/schemas/TiktokUser"},
            "engagement": {"$ref": "#/components/schemas/TiktokTopEngagement"}}}
        }
      },
      "TiktokBottomEvent": {
        "type": "object", "required": ["eventId", "timestamp", "source", "funnelStage", "eventType", "data"],
        "properties": {
          "eventId": {"$ref": "#/components/schemas/EventId"}, "timestamp": {"$ref": "#/components/schemas/Timestamp"},
          "source": {"type": "string"}, "funnelStage": {"type": "string"}, "eventType": {"type": "string"},
          "data": {"type": "object", "required": ["user", "engagement"], "properties": {
            "user": {"$ref": "#/components/schemas/TiktokUser"},
            "engagement": {"$ref": "#/components/schemas/TiktokBottomEngagement"}}}
        }
      },
      "IngestResult": {
        "type": "object", "required": ["accepted", "duplicates", "rejected"],
        "properties": {
          "accepted": {"type": "integer", "minimum": 0, "description": "events stored in JetStream, including duplicates"},
          "duplicates": {"type": "integer", "minimum": 0, "description": "accepted events whose eventId the stream already had (stored once)"},
          "rejected": {"type": "array", "items": {"$ref": "#/components/schemas/RejectedEvent"}}
        }
      },
      "RejectedEvent": {
        "type": "object", "required": ["index", "eventId", "errors"],
        "properties": {
          "index": {"type": "integer", "minimum": 0, "description": "position in the batch (0 for a single event)"},
          "eventId": {"type": "string", "nullable": true, "description": "null when the event had no string eventId"},
          "errors": {"type": "array", "minItems": 1, "items": {"type": "string"}, "example": ["data.user.age: expected number"]}
        }
      },
      "Error": {
        "type": "object", "required": ["statusCode", "error", "message"],
        "properties": {
          "statusCode": {"type": "integer", "example": 400},
          "error": {"type": "string", "example": "Bad Request"},
          "message": {"type": "string"},
          "details": {"description": "optional structured details"}
        }
      },
      "Readiness": {
        "type": "object", "required": ["status"],
        "properties": {"status": {"type": "string"}, "checks": {"type": "object", "additionalProperties": true}}
      }
    },
    "headers": {
      "Retry-After": {"description": "seconds to wait before retrying", "schema": {"type": "integer", "minimum": 1}}
    },
    "responses": {
      "BadRequest": {"description": "Body is not JSON (invalid UTF-8, duplicate keys, too deep, \\u0000, numbers out of range included), not an object or array, an empty array, or corrupt gzip",
                     "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
      "NotFound": {"description": "Unknown path", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
      "MethodNotAllowed": {"description": "Wrong method", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
      "PayloadTooLarge": {"description": "Body, decompressed body, or number of events in the batch over the limit",
                          "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
      "UnsupportedMediaType": {"description": "Content-Type is not application/json, or the Content-Encoding is not gzip/identity",
                               "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
      "TooManyRequests": {"description": "Too many publishes in flight; nothing in this request was accepted, retry after Retry-After",
                          "headers": {"Retry-After": {"$ref": "#/components/headers/Retry-After"}},
                          "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
      "HeadersTooLarge": {"description": "Request headers over the limit", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
      "InternalError": {"description": "Unexpected error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
      "ServiceUnavailable": {"description": "Broker unavailable (NATS disconnected, JetStream disabled or full, PubAck timeout) or shutting down; nothing in this request was accepted (events already stored are deduplicated on retry by eventId), retry after Retry-After",
                             "headers": {"Retry-After": {"$ref": "#/components/headers/Retry-After"}},
                             "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    },
    "examples": {
      "FacebookTop": {"value": {
        "eventId": "fb-0001", "timestamp": "2026-01-31T12:00:00Z", "source": "facebook", "funnelStage": "top", "eventType": "ad.view",
        "data": {"user": {"userId": "u-1", "name": "Ann", "age": 31, "gender": "female", "location": {"country": "DE", "city": "Berlin"}},
                 "engagement": {"actionTime": "2026-01-31T11:59:58Z", "referrer": "newsfeed", "videoId": null}}}},
      "TiktokBatch": {"value": [{
        "eventId": "tt-0001", "timestamp": "2026-01-31T12:00:00Z", "source": "tiktok", "funnelStage": "bottom", "eventType": "purchase",
        "data": {"user": {"userId": "t-1", "username": "tina", "followers": 1200},
                 "engagement": {"actionTime": "2026-01-31T11:59:58Z", "profileId": null, "purchasedItem": "hat", "purchaseAmount": "19.99"}}}]}
    }
  }
})json";

}  // namespace

namespace {
std::string capitalized(std::string_view s) {
  std::string out(s);
  if (!out.empty() && out[0] >= 'a' && out[0] <= 'z') out[0] = static_cast<char>(out[0] - 'a' + 'A');
  return out;
}

boost::json::array names(std::span<const std::string_view> values) {
  boost::json::array out;
  for (auto v : values) out.emplace_back(boost::json::string_view(v.data(), v.size()));
  return out;
}
}  // namespace

std::string openapi_document(bool auth) {
  auto doc = boost::json::parse(kDocument).as_object();
  auto& components = doc["components"].as_object();
  // The source, stage and event type enums of each <Source><Stage>Event schema come from the event
  // vocabulary; the document describes the fields of each (source, stage).
  auto& schemas = components["schemas"].as_object();
  for (const auto& source : events::sources())
    for (const auto& stage : source.stages) {
      const std::string name = capitalized(source.name) + capitalized(stage.name) + "Event";
      auto& properties = schemas.at(name).as_object().at("properties").as_object();
      properties["source"].as_object()["enum"] = names(std::span(&source.name, 1));
      properties["funnelStage"].as_object()["enum"] = names(std::span(&stage.name, 1));
      properties["eventType"].as_object()["enum"] = names(stage.event_types);
    }
  if (!auth) return boost::json::serialize(doc);
  components["securitySchemes"] = boost::json::parse(R"({
    "bearer": {"type": "http", "scheme": "bearer", "description": "an API key from --api-keys"},
    "apiKey": {"type": "apiKey", "in": "header", "name": "X-Api-Key", "description": "an API key from --api-keys"}
  })");
  components["responses"].as_object()["Unauthorized"] = boost::json::parse(R"({
    "description": "Missing or wrong API key, or a missing/invalid/expired X-Eventhub-Signature",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}})");
  auto& post = doc["paths"].as_object()["/webhook/event"].as_object()["post"].as_object();
  post["responses"].as_object()["401"] = boost::json::parse(R"({"$ref": "#/components/responses/Unauthorized"})");
  post["security"] = boost::json::parse(R"([{"bearer": []}, {"apiKey": []}])");
  post["parameters"].as_array().push_back(boost::json::parse(R"({"name": "X-Eventhub-Signature", "in": "header", "required": false,
    "schema": {"type": "string", "example": "t=1767225600,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd"},
    "description": "when --hmac-secret is set: t=<unix seconds>,v1=<hex HMAC-SHA256 of \"<t>.<body>\">"})"));
  return boost::json::serialize(doc);
}

}  // namespace eventhub::ingest
