#pragma once

#include <eventhub/common/config.hpp>
#include <eventhub/common/role.hpp>
#include <eventhub/common/runtime.hpp>

#include <memory>

namespace eventhub::ingest {

std::unique_ptr<common::Role> make_ingest_role(const common::IngestConfig& config, common::Runtime& runtime);

}  // namespace eventhub::ingest
