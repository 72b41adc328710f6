-- Rollups: what analytics reads instead of scanning events (docs/analytics.md, "Rollups").
-- The worker's compactor folds committed events into these tables; `eventhub rollup verify`
-- recomputes them from events and `eventhub rollup rebuild` repairs a range.

-- Which transaction wrote each row. Every committed row with tx below rollup_state.folded_below is
-- folded; the compactor reads the rest through this index, and analytics adds them to its answers
-- until they are folded. Rows stored before this migration have no tx: they are folded by the
-- backfill (`eventhub migrate`, or the compactor in the background), tracked in rollup_state.
-- Adding a nullable column without a default does not rewrite the table; the default then applies
-- to new rows only. The index build locks writes for its duration (~1 s per million rows here): on
-- a large live table create it first with CREATE INDEX CONCURRENTLY events_tx_idx ON events (tx).
ALTER TABLE events ADD COLUMN IF NOT EXISTS tx xid8;
ALTER TABLE events ALTER COLUMN tx SET DEFAULT pg_current_xact_id();
CREATE INDEX IF NOT EXISTS events_tx_idx ON events (tx);

-- One row: how far folding has got.
-- Hour and day rows exist only for sealed buckets (before hours_sealed_before / days_sealed_before):
-- the compactor folds events of open hours into minute rows only, and seals an hour (its rows made
-- from its minute rows) a little after it ends, a day from its hours. So the large rows of the current
-- hour and day are not rewritten at every fold; readers use minutes (hours) where a bucket is open.
CREATE TABLE rollup_state (
  singleton           boolean     PRIMARY KEY DEFAULT true CHECK (singleton),
  folded_below        xid8        NOT NULL,  -- every committed event with tx < this is in the rollups
  backfill_next       timestamptz,           -- events of the backfill from here ...
  backfill_to         timestamptz,           -- ... to here (inclusive) are not folded yet; NULL = done
  backfill_tx         xid8,                  -- the backfill's events: tx = this (a transaction too large
                                             -- to fold in one step, e.g. a bulk import), or when NULL
                                             -- the pre-migration events (tx IS NULL)
  hours_sealed_before timestamptz NOT NULL,
  days_sealed_before  timestamptz NOT NULL,
  folded_at           timestamptz NOT NULL DEFAULT now()
);
INSERT INTO rollup_state (folded_below, backfill_next, backfill_to, hours_sealed_before, days_sealed_before)
SELECT '0'::xid8, min(event_time), max(event_time), date_trunc('hour', now()), date_trunc('day', now()) FROM events;

-- Dense user ids for the user sets (roaring bitmaps of 32-bit ids). Assigned by the compactor only.
CREATE TABLE rollup_user_ids (
  id      integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id text    NOT NULL UNIQUE
);

-- Events per time bucket (grain 1 minute, 2 hour, 3 day) and level: '' in source, funnel_stage or
-- event_type means "all". users: portable roaring bitmap of user ids; countries, campaigns: the
-- per-country (with user sets) and per-campaign figures of the row, encoded (src/rollup/bucket.cpp).
-- The key puts the bucket last: a query reads one index range per (grain, level).
CREATE TABLE rollup_buckets (
  grain        smallint    NOT NULL,
  source       text        NOT NULL,
  funnel_stage text        NOT NULL,
  event_type   text        NOT NULL,
  bucket       timestamptz NOT NULL,
  events       bigint      NOT NULL,
  purchases    bigint      NOT NULL,
  revenue      numeric     NOT NULL,
  users        bytea       NOT NULL,
  countries    bytea       NOT NULL,
  campaigns    bytea       NOT NULL,
  PRIMARY KEY (grain, source, funnel_stage, event_type, bucket)
);

-- Per-user totals for users/top: hour (2) and day (3) buckets, by source and event type.
-- The key serves the upsert and the exact totals of candidate users; the two others give each
-- bucket's users in descending order (the top-N search reads only the head of each list), and
-- carry the rest of the row so those reads, and the sums over a window, are index-only.
CREATE TABLE rollup_user_totals (
  user_id    text        NOT NULL,
  source     text        NOT NULL,
  grain      smallint    NOT NULL,
  bucket     timestamptz NOT NULL,
  event_type text        NOT NULL,
  events     bigint      NOT NULL,
  revenue    numeric     NOT NULL,
  PRIMARY KEY (user_id, source, grain, bucket, event_type)
);
CREATE INDEX rollup_user_totals_events_idx ON rollup_user_totals (grain, source, event_type, bucket, events DESC)
  INCLUDE (user_id, revenue);
CREATE INDEX rollup_user_totals_revenue_idx ON rollup_user_totals (grain, source, event_type, bucket, revenue DESC)
  INCLUDE (user_id, events) WHERE revenue > 0;

DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'eventhub_readonly') THEN
    GRANT SELECT ON rollup_state, rollup_user_ids, rollup_buckets, rollup_user_totals TO eventhub_readonly;
  END IF;
EXCEPTION
  WHEN insufficient_privilege THEN
    RAISE NOTICE 'eventhub_readonly not granted: %', SQLERRM;
END
$$;
