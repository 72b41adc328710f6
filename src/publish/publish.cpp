#include <eventhub/publish/publish.hpp>

#include <cstdio>

namespace eventhub::publish {

int run_publish(const common::PublishConfig&) {
  std::fprintf(stderr, "eventhub publish: not implemented yet\n");
  return 2;
}

}  // namespace eventhub::publish
