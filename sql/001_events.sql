-- Stored events: one row per distinct eventId; the first stored version wins.
-- The typed columns are extracted by the worker at write time so analytics never parses JSON.
CREATE TABLE events (
  event_id        text        NOT NULL,
  source          text        NOT NULL CHECK (source IN ('facebook', 'tiktok')),
  funnel_stage    text        NOT NULL CHECK (funnel_stage IN ('top', 'bottom')),
  event_type      text        NOT NULL,
  event_time      timestamptz NOT NULL,
  received_at     timestamptz NOT NULL DEFAULT now(),
  user_id         text,
  country         text,
  campaign_id     text,
  purchase_amount numeric(18, 4),
  data            jsonb       NOT NULL,
  extra           jsonb,                      -- unknown top-level fields, kept as they came
  CONSTRAINT events_event_id_key UNIQUE (event_id)
);

-- Every analytics query filters on a time window.
CREATE INDEX events_event_time_idx ON events (event_time);
