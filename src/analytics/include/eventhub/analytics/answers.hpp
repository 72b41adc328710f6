#pragma once
// The body of each analytics endpoint (CONTRACT.md shapes), computed from a Snapshot: which rollup
// levels to read, how to combine them, how to order and render the answer. Blocking (reads through
// the snapshot): runs on the analytics query pool. Throws pg::Error / std::runtime_error.

#include <eventhub/analytics/params.hpp>
#include <eventhub/analytics/snapshot.hpp>

#include <string>

namespace eventhub::analytics {

std::string answer_stats(Snapshot& s, const QueryOptions& o);
std::string answer_timeseries(Snapshot& s, const QueryOptions& o);
std::string answer_funnel(Snapshot& s, const QueryOptions& o);
std::string answer_countries(Snapshot& s, const QueryOptions& o);
std::string answer_campaigns_top(Snapshot& s, const QueryOptions& o);
std::string answer_users_top(Snapshot& s, const QueryOptions& o);  // top_users.cpp
std::string answer_revenue(Snapshot& s, const QueryOptions& o);

// convertedUsers / top users with at most 6 decimals, trailing zeros removed; "0" without top users.
std::string conversion_rate(int64_t converted, int64_t top_users);

}  // namespace eventhub::analytics
