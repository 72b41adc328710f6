#pragma once
// Schema migrations: the ordered files of sql/, embedded in the binary at build time, applied once
// each and recorded in schema_migrations. Concurrent callers serialise on an advisory lock, so
// several roles starting at once are safe.

#include <eventhub/pg/connection.hpp>

#include <string>
#include <vector>

namespace eventhub::pg {

struct Migration {
  std::string version;  // file name without .sql, e.g. "001_events"
  std::string sql;
};

const std::vector<Migration>& embedded_migrations();

// Applies what is missing; returns the versions applied now. Throws Error.
std::vector<std::string> migrate(Connection& conn, const std::vector<Migration>& migrations = embedded_migrations());

}  // namespace eventhub::pg
