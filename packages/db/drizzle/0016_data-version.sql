-- One counter that moves whenever a row the gateway's response cache may serve changes
-- (services/gateway/src/graphql/response-cache.ts). Bumped by the writing transaction itself,
-- so it commits (and becomes visible) together with the data: a reader that sees version v
-- sees at least the data of every transaction that made v. A sequence would not do: nextval
-- is seen by others before the data commits, so a reader could cache old data under it.
--
-- The bump runs at COMMIT (deferred constraint triggers), once per transaction (a
-- transaction-local flag): the counter's row lock is held only for the commit itself, and a
-- transaction never waits for it while holding other locks a committing one may need.
-- Updates that change nothing (WHEN, checked at the statement) queue no bump.
-- Only the tables cached fields read bump it; leases, heartbeats, the outbox and the like do
-- not, or the cache would never hit. Trainers bump on a rename only (the cache serves their
-- id and name; status and heartbeats stay uncached).
CREATE TABLE "data_version" (
  "id" boolean PRIMARY KEY DEFAULT true CHECK ("id"),
  "version" bigint NOT NULL
);
--> statement-breakpoint
INSERT INTO "data_version" ("id", "version") VALUES (true, 1);
--> statement-breakpoint
CREATE FUNCTION "data_version_bump"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('graft.data_version_bumped', true) IS DISTINCT FROM 'on' THEN
    UPDATE data_version SET version = version + 1;
    PERFORM set_config('graft.data_version_bumped', 'on', true);
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['runs', 'run_epochs', 'models', 'datasets', 'experiments'] LOOP
    EXECUTE format(
      'CREATE CONSTRAINT TRIGGER %I AFTER INSERT OR DELETE ON %I DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION data_version_bump()',
      t || '_bump_data_version', t);
    EXECUTE format(
      'CREATE CONSTRAINT TRIGGER %I AFTER UPDATE ON %I DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION data_version_bump()',
      t || '_update_bumps_data_version', t);
    EXECUTE format(
      'CREATE TRIGGER %I AFTER TRUNCATE ON %I FOR EACH STATEMENT EXECUTE FUNCTION data_version_bump()',
      t || '_truncate_bumps_data_version', t);
  END LOOP;
END $$;
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER "trainers_rename_bumps_data_version" AFTER UPDATE OF "name" ON "trainers"
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (OLD."name" IS DISTINCT FROM NEW."name")
  EXECUTE FUNCTION data_version_bump();
