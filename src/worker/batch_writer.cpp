#include <eventhub/worker/batch_writer.hpp>

#include <eventhub/worker/batch.hpp>

#include <cstdlib>

namespace eventhub::worker {

namespace {

constexpr const char* kStaging = "eventhub_staging";

// Copies the rows in chunks so a 5000-row batch never needs one huge libpq send buffer.
void copy_rows(pg::Connection& conn, const char* table, const std::vector<const events::EventRow*>& rows,
               std::string& buffer) {
  PGconn* raw = conn.raw();
  {
    pg::Result start{PQexec(raw, (std::string("COPY ") + table + " (" + kCopyColumns + ") FROM STDIN").c_str())};
    if (!start || PQresultStatus(start.get()) != PGRES_COPY_IN) throw conn.error_from(start.get(), "COPY start");
  }
  constexpr std::size_t kChunk = 256 * 1024;
  buffer.clear();
  auto send = [&] {
    if (buffer.empty()) return true;
    const bool ok = PQputCopyData(raw, buffer.data(), static_cast<int>(buffer.size())) == 1;
    buffer.clear();
    return ok;
  };
  bool ok = true;
  for (const auto* row : rows) {
    append_copy_row(buffer, *row);
    if (buffer.size() >= kChunk && !(ok = send())) break;
  }
  if (ok) ok = send();
  // End the COPY (with an error message when sending failed) and always read every result.
  const int end = PQputCopyEnd(raw, ok ? nullptr : "eventhub: sending COPY data failed");
  std::optional<pg::Error> error;
  while (PGresult* r = PQgetResult(raw)) {
    pg::Result result{r};
    if (PQresultStatus(r) != PGRES_COMMAND_OK && !error) error = conn.error_from(r, "COPY");
  }
  if (error) throw *error;
  if (end != 1 || !ok) throw conn.error_from(nullptr, "COPY");
}

void rollback_quietly(pg::Connection& conn) {
  if (!conn.ok() || PQtransactionStatus(conn.raw()) == PQTRANS_IDLE) return;
  try {
    conn.exec("ROLLBACK");
  } catch (const pg::Error&) {
    // The caller discards a connection whose state is in doubt (pg::Error is rethrown there).
  }
}

}  // namespace

std::vector<std::string> staging_session_setup() {
  return {
      "SET client_encoding = 'UTF8'",
      // Same types as the events columns, so a value PostgreSQL cannot store fails in the COPY
      // (a data error, SQLSTATE class 22) and the batch can be split to find it.
      std::string("CREATE TEMP TABLE IF NOT EXISTS ") + kStaging +
          " (event_id text NOT NULL, source text NOT NULL, funnel_stage text NOT NULL, event_type text NOT NULL,"
          " event_time timestamptz NOT NULL, user_id text, country text, campaign_id text,"
          " purchase_amount numeric(18, 4), data jsonb NOT NULL, extra jsonb) ON COMMIT DELETE ROWS",
  };
}

WriteResult write_batch(pg::Connection& conn, const std::vector<const events::EventRow*>& rows, std::string& buffer,
                        bool try_direct) {
  WriteResult result;
  if (rows.empty()) return result;
  if (try_direct) {
    try {
      conn.exec("BEGIN");
      copy_rows(conn, "events", rows, buffer);
      conn.exec("COMMIT");
      result.inserted = static_cast<int64_t>(rows.size());
      return result;
    } catch (const pg::Error& e) {
      rollback_quietly(conn);
      if (e.sqlstate() != "23505") throw;  // not "already stored": let the caller decide
    }
  }
  result.used_staging = true;
  try {
    conn.exec("BEGIN");
    copy_rows(conn, kStaging, rows, buffer);
    // Byte order (COLLATE "C"), the order the direct COPY inserts in: every batch of every worker
    // takes the unique-index locks in one order, so concurrent batches cannot deadlock.
    pg::Result inserted = conn.exec_params(
        std::string("INSERT INTO events (") + kCopyColumns + ") SELECT " + kCopyColumns + " FROM " + kStaging +
        " ORDER BY event_id COLLATE \"C\" ON CONFLICT (event_id) DO NOTHING");
    result.inserted = std::strtoll(PQcmdTuples(inserted.get()), nullptr, 10);
    conn.exec("COMMIT");
    return result;
  } catch (const pg::Error&) {
    rollback_quietly(conn);
    throw;
  }
}

}  // namespace eventhub::worker
