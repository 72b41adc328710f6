#include <eventhub/http/ops_routes.hpp>

#include <eventhub/common/health.hpp>

#include <boost/json/serialize.hpp>
#include <boost/json/object.hpp>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

// Swagger UI assets, linked into the binary by swagger_assets.S (.incbin): /api works offline.
extern "C" {
extern const char eventhub_swagger_bundle_js[];
extern const char eventhub_swagger_bundle_js_end[];
extern const char eventhub_swagger_css[];
extern const char eventhub_swagger_css_end[];
}

namespace eventhub::http {

namespace {
constexpr std::string_view kSwaggerHtml = R"html(<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>eventhub API</title>
  <link rel="stylesheet" href="/api/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/api/swagger-ui-bundle.js"></script>
  <script>
    window.ui = SwaggerUIBundle({ url: "/api-json", dom_id: "#swagger-ui", deepLinking: true });
  </script>
</body>
</html>
)html";

Response static_response(std::string_view content_type, std::string_view body) {
  Response res{Status::ok, 11};
  res.set(bhttp::field::content_type, content_type);
  res.set(bhttp::field::cache_control, "public, max-age=86400");
  res.body().assign(body.data(), body.size());
  res.prepare_payload();
  return res;
}
}  // namespace

void add_ops_routes(Router& router, const std::string& role, common::Health& health,
                    std::shared_ptr<prometheus::Registry> registry) {
  router.add(bhttp::verb::get, "/health/liveness", [](Request&) -> net::awaitable<Response> {
    co_return json_response(Status::ok, R"({"status":"ok"})");
  });
  router.add(bhttp::verb::get, "/health/readiness", [role, &health](Request&) -> net::awaitable<Response> {
    std::vector<common::CheckReport> reports;
    const bool ok = health.ready(role, &reports);
    boost::json::object checks;
    for (const auto& r : reports) {
      boost::json::object c;
      c["status"] = r.result.ok ? "ok" : "fail";
      c["detail"] = r.result.detail;
      checks[r.name] = std::move(c);
    }
    boost::json::object body;
    body["status"] = ok ? "ok" : "unavailable";
    body["checks"] = std::move(checks);
    co_return json_response(ok ? Status::ok : Status::service_unavailable, boost::json::serialize(body));
  });
  router.add(bhttp::verb::get, "/metrics", [registry, &health](Request&) -> net::awaitable<Response> {
    health.refresh();
    Response res{Status::ok, 11};
    res.set(bhttp::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
    res.body() = prometheus::TextSerializer().Serialize(registry->Collect());
    res.prepare_payload();
    co_return res;
  });
}

void add_swagger_routes(Router& router, std::string openapi_json) {
  router.add(bhttp::verb::get, "/api-json", [doc = std::move(openapi_json)](Request&) -> net::awaitable<Response> {
    co_return json_response(Status::ok, doc);
  });
  for (const char* path : {"/api", "/api/"}) {
    router.add(bhttp::verb::get, path, [](Request&) -> net::awaitable<Response> {
      auto res = static_response("text/html; charset=utf-8", kSwaggerHtml);
      res.set(bhttp::field::cache_control, "no-cache");
      co_return res;
    });
  }
  router.add(bhttp::verb::get, "/api/swagger-ui-bundle.js", [](Request&) -> net::awaitable<Response> {
    co_return static_response(
        "application/javascript; charset=utf-8",
        {eventhub_swagger_bundle_js, static_cast<std::size_t>(eventhub_swagger_bundle_js_end - eventhub_swagger_bundle_js)});
  });
  router.add(bhttp::verb::get, "/api/swagger-ui.css", [](Request&) -> net::awaitable<Response> {
    co_return static_response("text/css; charset=utf-8",
                              {eventhub_swagger_css, static_cast<std::size_t>(eventhub_swagger_css_end - eventhub_swagger_css)});
  });
}

}  // namespace eventhub::http
