#pragma once
// Exact-path routing table of one HTTP server. Built before the server starts, read-only after,
// so lookups need no lock. Unknown paths answer 404, known paths with another method 405.

#include <eventhub/http/types.hpp>

#include <map>
#include <string>
#include <vector>

namespace eventhub::http {

class Router {
 public:
  void add(bhttp::verb method, std::string path, Handler handler);

  struct Match {
    const Handler* handler = nullptr;  // null: answer `status`
    Status status = Status::not_found;
    std::string route;                 // label for metrics: the path, or "unmatched"
    std::string allow;                 // for 405
  };
  Match match(bhttp::verb method, std::string_view target) const;

 private:
  std::map<std::string, std::vector<std::pair<bhttp::verb, Handler>>, std::less<>> routes_;
};

}  // namespace eventhub::http
