-- The data version's bump (migration 0016) also announces the new version on channel
-- `graft_data_version`, in a session that asked for it (`graft.data_version_notify` = 'on').
-- Only PGlite asks (packages/db/src/data-version.ts): it is in process and has one
-- connection, so every commit is this process's own and PGlite hands its NOTIFY to the
-- listener before the COMMIT's promise resolves: the version is then known without reading
-- it. NOTIFY is sent at commit and dropped on rollback, like the bump. PostgreSQL sessions
-- leave it off: a NOTIFY there reaches other replicas late (no read-your-writes), and each
-- one would take the server's notify lock and queue space at every commit for no listener.
-- This changes the bump function only; its triggers stay as 0016 and 0017 made them.
CREATE OR REPLACE FUNCTION "data_version_bump"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  bumped bigint;
BEGIN
  IF current_setting('graft.data_version_bumped', true) IS DISTINCT FROM 'on' THEN
    UPDATE data_version SET version = version + 1 RETURNING version INTO bumped;
    PERFORM set_config('graft.data_version_bumped', 'on', true);
    IF current_setting('graft.data_version_notify', true) = 'on' THEN
      PERFORM pg_notify('graft_data_version', bumped::text);
    END IF;
  END IF;
  RETURN NULL;
END $$;
