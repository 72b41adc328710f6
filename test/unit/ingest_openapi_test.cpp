// The ingest OpenAPI document: valid JSON, every $ref resolves, every contract status documented,
// and its examples pass the real validator.
#include <eventhub/events/event.hpp>
#include <eventhub/events/vocabulary.hpp>
#include <eventhub/ingest/openapi.hpp>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

namespace json = boost::json;

namespace {
const json::value* resolve(const json::value& doc, std::string_view ref) {
  REQUIRE(ref.substr(0, 2) == "#/");
  const json::value* cur = &doc;
  ref.remove_prefix(2);
  while (!ref.empty()) {
    auto slash = ref.find('/');
    auto key = ref.substr(0, slash);
    const auto* o = cur->if_object();
    if (o == nullptr) return nullptr;
    cur = o->if_contains(key);
    if (cur == nullptr) return nullptr;
    ref = slash == std::string_view::npos ? std::string_view{} : ref.substr(slash + 1);
  }
  return cur;
}
void check_refs(const json::value& doc, const json::value& v, int& count) {
  if (const auto* o = v.if_object()) {
    for (const auto& kv : *o) {
      if (kv.key() == "$ref") {
        ++count;
        INFO(kv.value().as_string().c_str());
        CHECK(resolve(doc, kv.value().as_string()) != nullptr);
      } else {
        check_refs(doc, kv.value(), count);
      }
    }
  } else if (const auto* a = v.if_array()) {
    for (const auto& x : *a) check_refs(doc, x, count);
  }
}
}  // namespace

TEST_CASE("ingest OpenAPI document is complete and consistent", "[ingest][openapi]") {
  for (bool auth : {false, true}) {
    const json::value doc = json::parse(eventhub::ingest::openapi_document(auth));
    CHECK(doc.at("openapi").as_string().starts_with("3."));
    int refs = 0;
    check_refs(doc, doc, refs);
    CHECK(refs > 20);
    const auto& responses = doc.at("paths").at("/webhook/event").at("post").at("responses").as_object();
    for (auto* code : {"202", "400", "413", "415", "422", "429", "503"}) {
      INFO(code);
      CHECK(responses.contains(code));
    }
    CHECK(responses.contains("401") == auth);
    for (auto* code : {"429", "503"}) {
      const auto* r = resolve(doc, responses.at(code).at("$ref").as_string());
      REQUIRE(r != nullptr);
      CHECK(r->at("headers").as_object().contains("Retry-After"));
    }
    const auto& schemas = doc.at("components").at("schemas");
    CHECK(schemas.at("Error").at("required") == json::parse(R"(["statusCode","error","message"])"));
    CHECK(schemas.at("IngestResult").at("required") == json::parse(R"(["accepted","duplicates","rejected"])"));
    // the examples are valid events
    const auto& examples = doc.at("components").at("examples");
    CHECK(eventhub::events::validate_event(examples.at("FacebookTop").at("value")).empty());
    for (const auto& e : examples.at("TiktokBatch").at("value").as_array())
      CHECK(eventhub::events::validate_event(e).empty());
  }
}

TEST_CASE("ingest OpenAPI: every (source, stage) of the event vocabulary has its schema and enums",
          "[ingest][openapi]") {
  const auto doc = json::parse(eventhub::ingest::openapi_document(false));
  const auto& schemas = doc.at("components").at("schemas").as_object();
  for (const auto& source : eventhub::events::sources())
    for (const auto& stage : source.stages) {
      std::string name = std::string(source.name) + std::string(stage.name) + "Event";
      name[0] = static_cast<char>(name[0] - 'a' + 'A');
      name[source.name.size()] = static_cast<char>(name[source.name.size()] - 'a' + 'A');
      INFO(name);
      REQUIRE(schemas.contains(name));
      const auto& props = schemas.at(name).at("properties");
      CHECK(props.at("source").at("enum").at(0).as_string() == source.name);
      CHECK(props.at("funnelStage").at("enum").at(0).as_string() == stage.name);
      const auto& types = props.at("eventType").at("enum").as_array();
      REQUIRE(types.size() == stage.event_types.size());
      for (std::size_t i = 0; i < types.size(); ++i) CHECK(types[i].as_string() == stage.event_types[i]);
    }
}
