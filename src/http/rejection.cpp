#include <eventhub/http/rejection.hpp>

namespace eventhub::http {

Response respond(const Rejection& r, unsigned version, int retry_after_s) {
  Response res = json_error(r.status, r.message, r.details_json, version);
  if (r.retryable()) res.set(bhttp::field::retry_after, std::to_string(retry_after_s));
  for (const auto& [field, value] : r.headers) res.set(field, value);
  return res;
}

}  // namespace eventhub::http
