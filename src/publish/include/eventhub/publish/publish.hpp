#pragma once

#include <eventhub/common/config.hpp>

namespace eventhub::publish {

// Runs the load generator to completion; prints the JSON summary line on stdout. Returns the exit code.
int run_publish(const common::PublishConfig& config);

}  // namespace eventhub::publish
