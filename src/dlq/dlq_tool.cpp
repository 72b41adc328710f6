#include <eventhub/dlq/dlq_tool.hpp>

#include <cstdio>

namespace eventhub::dlq {

int run_list(const common::DlqConfig&) {
  std::fprintf(stderr, "eventhub dlq list: not implemented yet\n");
  return 2;
}
int run_replay(const common::DlqConfig&) {
  std::fprintf(stderr, "eventhub dlq replay: not implemented yet\n");
  return 2;
}

}  // namespace eventhub::dlq
