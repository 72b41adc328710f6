#pragma once

#include <eventhub/common/config.hpp>
#include <eventhub/common/role.hpp>
#include <eventhub/common/runtime.hpp>

#include <memory>

namespace eventhub::worker {

std::unique_ptr<common::Role> make_worker_role(const common::WorkerConfig& config, common::Runtime& runtime);

}  // namespace eventhub::worker
