#include <eventhub/http/router.hpp>

namespace eventhub::http {

void Router::add(bhttp::verb method, std::string path, Handler handler) {
  routes_[std::move(path)].emplace_back(method, std::move(handler));
}

Router::Match Router::match(bhttp::verb method, std::string_view target) const {
  Match m;
  const auto path = path_of(target);
  const auto it = routes_.find(path);
  if (it == routes_.end()) {
    m.status = Status::not_found;
    m.route = "unmatched";
    return m;
  }
  m.route = it->first;
  for (const auto& [verb, handler] : it->second) {
    if (verb == method || (method == bhttp::verb::head && verb == bhttp::verb::get)) {
      m.handler = &handler;
      return m;
    }
    if (!m.allow.empty()) m.allow += ", ";
    m.allow += std::string(bhttp::to_string(verb));
  }
  m.status = Status::method_not_allowed;
  return m;
}

}  // namespace eventhub::http
