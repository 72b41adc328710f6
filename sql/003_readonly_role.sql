-- A role that can only read events, for the analytics service's database user:
--   CREATE ROLE analytics LOGIN PASSWORD '…' IN ROLE eventhub_readonly;
-- Roles are cluster-wide and creating one needs CREATEROLE: where the migrating user lacks it, or
-- another database of the cluster created it first, this step is skipped with a notice.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'eventhub_readonly') THEN
    CREATE ROLE eventhub_readonly NOLOGIN;
  END IF;
EXCEPTION
  WHEN insufficient_privilege OR duplicate_object OR unique_violation THEN
    RAISE NOTICE 'eventhub_readonly not created: %', SQLERRM;
END
$$;

DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'eventhub_readonly') THEN
    GRANT USAGE ON SCHEMA public TO eventhub_readonly;
    GRANT SELECT ON events TO eventhub_readonly;
  END IF;
EXCEPTION
  WHEN insufficient_privilege THEN
    RAISE NOTICE 'eventhub_readonly not granted: %', SQLERRM;
END
$$;
