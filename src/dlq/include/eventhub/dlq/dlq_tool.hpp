#pragma once

#include <eventhub/common/config.hpp>

namespace eventhub::dlq {

// `eventhub dlq list` / `eventhub dlq replay`. Return the exit code.
int run_list(const common::DlqConfig& config);
int run_replay(const common::DlqConfig& config);

}  // namespace eventhub::dlq
