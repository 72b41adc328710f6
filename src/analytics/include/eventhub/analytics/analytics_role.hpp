#pragma once

#include <eventhub/common/config.hpp>
#include <eventhub/common/role.hpp>
#include <eventhub/common/runtime.hpp>

#include <memory>

namespace eventhub::analytics {

std::unique_ptr<common::Role> make_analytics_role(const common::AnalyticsConfig& config, common::Runtime& runtime);

}  // namespace eventhub::analytics
