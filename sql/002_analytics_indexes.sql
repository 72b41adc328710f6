-- Analytics: one covering index for every time-window query, replacing the plain event_time index.
-- Every analytics statement filters on event_time >= from AND event_time < to and then reads only
-- these typed columns; with them in the index leaf (INCLUDE) the planner uses an index-only scan and
-- never touches the ~450-byte heap rows (data jsonb). Measured at 1M events / 233k in a 7-day window
-- (bench/results/analytics-*.txt): heap bitmap scans 290-570 ms per endpoint -> index-only scans.
-- The key is still event_time alone, so anything the old index served, this one serves; replacing it
-- keeps the table at two indexes (this + the event_id unique key) for the worker's inserts, at the
-- price of a wider index tuple (~80 B instead of ~20 B per row).
-- Index-only scans rely on the visibility map: autovacuum's insert threshold (PG 13+) keeps it current
-- on this append-mostly table. Creating it locks writes for the build (about 2 s per million rows here);
-- on a large live table build it by hand first with CREATE INDEX CONCURRENTLY under the same name.
CREATE INDEX IF NOT EXISTS events_window_idx ON events (event_time)
  INCLUDE (source, funnel_stage, event_type, user_id, country, campaign_id, purchase_amount);
DROP INDEX IF EXISTS events_event_time_idx;
