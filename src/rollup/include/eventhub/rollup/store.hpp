#pragma once
// The rollup tables in SQL (sql/004_rollups.sql): reading and writing bucket rows, per-user
// totals, the user dictionary and the fold state, and reading raw event rows in the form the fold
// takes. Blocking libpq calls on the caller's thread (compactor, maintenance command, analytics
// query pool). Statements are parameterised; the caller owns the transaction.

#include <eventhub/pg/connection.hpp>
#include <eventhub/rollup/fold.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace eventhub::rollup {

// Transaction-level advisory lock taken by everything that writes the rollups (compactor cycle,
// backfill chunk, rebuild): one writer at a time, so read-modify-write of a row is safe.
inline constexpr int64_t kFoldLockKey = 727002;

struct State {
  uint64_t folded_below = 0;              // xid8: every committed event with tx < this is folded
  std::optional<int64_t> backfill_next_us;  // the backfill's events from here ...
  std::optional<int64_t> backfill_to_us;    // ... to here (inclusive) are not folded yet
  std::optional<uint64_t> backfill_tx;      // the backfill's events have this tx; nullopt: tx IS NULL
  int64_t hours_sealed_before_us = 0;       // hour rows exist for hours before this only
  int64_t days_sealed_before_us = 0;        // day rows exist for days before this only
  int64_t folded_at_us = 0;
  bool backfill_done() const { return !backfill_next_us; }
  // Whether rows of this grain are kept for the bucket starting at `bucket_us` (minutes always).
  bool sealed(Grain grain, int64_t bucket_us) const {
    return grain == Grain::minute || (grain == Grain::hour ? bucket_us < hours_sealed_before_us
                                                           : bucket_us < days_sealed_before_us);
  }
};

// SQL condition (on events `e`) of the events the stored rollups hold, appending its parameters.
std::string folded_condition(const State& state, std::vector<std::optional<std::string>>& params);
// SQL condition of the events the backfill still has to fold (false when none).
std::string backfill_condition(const State& state, std::vector<std::optional<std::string>>& params);

// The cover's pieces with every hour or day bucket that is not sealed replaced by its finer buckets.
std::vector<Piece> sealed_pieces(const std::vector<Piece>& pieces, const State& state);

// nullopt when the database has no rollup tables (migration 004 not applied).
std::optional<State> read_state(pg::Connection& conn);
void write_state(pg::Connection& conn, const State& state);

// Every level a row can have, from the vocabulary (exact types, per source and stage, ...).
std::vector<Level> all_levels();

// ---- raw events ------------------------------------------------------------------------------

// Raw rows and the results their strings point into.
struct RawRows {
  std::vector<RawEvent> events;
  std::vector<pg::Result> results;
  std::vector<uint64_t> tx;  // xid8 of each event when read with_tx (0 for pre-migration rows)
};

struct RawSelect {
  bool with_ids = false;  // join the user dictionary (RawEvent::user for users it knows)
  bool with_tx = false;   // read events.tx (RawRows::tx)
};

// Runs SELECT <columns> FROM events e [LEFT JOIN rollup_user_ids d ...] WHERE <where> [suffix] and
// appends the rows. `where` refers to the events table as `e`.
void read_raw(pg::Connection& conn, RawSelect select, const std::string& where,
              const std::vector<std::optional<std::string>>& params, RawRows& out, const std::string& suffix = "");

// ---- bucket rows -----------------------------------------------------------------------------

enum BucketColumns : unsigned { kCounts = 0, kUsers = 1, kCountries = 2, kCampaigns = 4, kAllColumns = 7 };

struct StoredRow {
  BucketKey key;
  BucketData data;
};

// Whole buckets [from_us, to_us) of one grain.
struct BucketRange {
  Grain grain;
  int64_t from_us;
  int64_t to_us;
};

// The stored rows of `levels` in every range (one statement), with the columns asked for.
std::vector<StoredRow> read_buckets(pg::Connection& conn, const std::vector<BucketRange>& ranges,
                                    const std::vector<Level>& levels, unsigned columns);
// The stored rows with exactly these keys (all columns), for read-modify-write.
std::vector<StoredRow> read_bucket_keys(pg::Connection& conn, const std::vector<BucketKey>& keys);
// Inserts or replaces the rows (full values). `buffer` is reused COPY space.
void write_buckets(pg::Connection& conn, const std::map<BucketKey, BucketData>& rows, std::string& buffer);
// Adds the deltas to the stored per-user totals.
void add_user_totals(pg::Connection& conn, const std::map<UserKey, UserTotals>& deltas, std::string& buffer);

// Everything stored for buckets that start in [from_us, to_us) (both day-aligned): bucket rows of
// every grain and level, per-user totals. For rebuild and verify.
std::vector<StoredRow> read_day_range(pg::Connection& conn, int64_t from_us, int64_t to_us);
std::map<UserKey, UserTotals> read_user_totals_range(pg::Connection& conn, int64_t from_us, int64_t to_us);
void delete_day_range(pg::Connection& conn, int64_t from_us, int64_t to_us);

// ---- user dictionary -------------------------------------------------------------------------

// Ids of `user_ids` (in the same order), assigning new ones to users not seen before. Only a
// holder of the fold lock may call it (ids are dense and never reused).
std::vector<uint32_t> assign_user_ids(pg::Connection& conn, const std::vector<std::string>& user_ids);

// The per-session TEMP staging tables write_buckets/add_user_totals copy through (run once per
// connection, after migrations).
void create_staging_tables(pg::Connection& conn);

}  // namespace eventhub::rollup
