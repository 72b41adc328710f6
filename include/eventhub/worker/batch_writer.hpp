#pragma once
// Writes one batch of event rows to PostgreSQL in one transaction: COPY into a per-connection
// TEMP staging table, then INSERT … SELECT … ORDER BY event_id ON CONFLICT (event_id) DO NOTHING.
// Blocking (libpq): runs on a worker writer thread, never on an HTTP I/O thread.

#include <eventhub/events/event.hpp>
#include <eventhub/pg/connection.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace eventhub::worker {

// Statements to run once on every new worker connection (PoolOptions::session_setup): creates
// the TEMP staging table (its rows vanish at each commit). Does not depend on the events table,
// so a connection can be opened before migrations ran.
std::vector<std::string> staging_session_setup();

// Writes rows[i] for i in `positions` (already sorted by event id, unique ids) in one transaction.
// Returns how many rows were inserted (the others already existed: duplicates). Throws pg::Error;
// the transaction is rolled back (or the connection is broken: discard it).
int64_t write_batch(pg::Connection& conn, const std::vector<const events::EventRow*>& rows);

// Same, building the COPY text in `buffer` (reused between calls to avoid reallocations).
int64_t write_batch(pg::Connection& conn, const std::vector<const events::EventRow*>& rows, std::string& buffer);

}  // namespace eventhub::worker
