#pragma once
// `eventhub migrate` (schema, then the rollups of events stored before them) and `eventhub rollup
// rebuild|verify`. Run on the main thread; print progress on stderr; return the exit code
// (0 done, 1 failed or differences found).

#include <eventhub/common/config.hpp>

namespace eventhub::rollup {

int run_migrate(const common::RollupToolConfig& config);
int run_rebuild(const common::RollupToolConfig& config);
int run_verify(const common::RollupToolConfig& config);

}  // namespace eventhub::rollup
