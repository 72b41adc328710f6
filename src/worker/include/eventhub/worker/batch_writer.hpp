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

struct WriteResult {
  int64_t inserted = 0;      // new rows; the others already existed (duplicates)
  bool used_staging = false; // the batch went through the staging table
};

// Writes `rows` (sorted by event id, unique ids) in one transaction and returns what happened.
// With `try_direct`, first a plain COPY straight into events (the COPY ceiling: no second write);
// if that hits an existing eventId (unique violation 23505) it is rolled back and the batch goes the
// staging way: COPY into the TEMP table, INSERT … SELECT … ORDER BY event_id ON CONFLICT DO NOTHING.
// Without `try_direct`, the staging way only. `buffer` holds the COPY text (reused between calls).
// Throws pg::Error; the transaction is rolled back (or the connection is broken: discard it).
WriteResult write_batch(pg::Connection& conn, const std::vector<const events::EventRow*>& rows, std::string& buffer,
                        bool try_direct = true);

}  // namespace eventhub::worker
