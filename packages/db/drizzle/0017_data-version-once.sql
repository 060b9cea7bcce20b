-- The data version's bump (0016) is queued once per transaction instead of once per changed
-- row. A row-level constraint trigger (the only kind that can be deferred to COMMIT) queued an
-- event for every row, and at COMMIT every event called data_version_bump(), all but the first
-- only to find the transaction's flag set: an ingest transaction of 1,000 epochs paid 1,000
-- trigger calls for one UPDATE.
--
-- Now each trigger's WHEN, checked as each row changes, queues the event only for the
-- transaction's first changed row of any of these tables, and marks the transaction
-- (graft.data_version_queued, transaction-local like data_version_bump's own flag). The CASE
-- fixes the order: an UPDATE that changes nothing neither queues nor marks. If a savepoint
-- that queued the event is rolled back, the event and the mark go with it (a transaction-local
-- setting made in a subtransaction is undone with it), so a later change queues it again.
-- data_version_bump() is unchanged; when and how often the version moves is as before: once
-- per transaction that changed a served row, at its COMMIT.
DO $$
DECLARE
  t text;
  -- Only the first changed row of the transaction passes; it marks the transaction.
  first_change constant text :=
    'CASE WHEN current_setting(''graft.data_version_queued'', true) = ''on'' THEN false '
    'ELSE set_config(''graft.data_version_queued'', ''on'', true) = ''on'' END';
BEGIN
  FOREACH t IN ARRAY ARRAY['runs', 'run_epochs', 'models', 'datasets', 'experiments'] LOOP
    EXECUTE format('DROP TRIGGER %I ON %I', t || '_bump_data_version', t);
    EXECUTE format(
      'CREATE CONSTRAINT TRIGGER %I AFTER INSERT OR DELETE ON %I DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (%s) EXECUTE FUNCTION data_version_bump()',
      t || '_bump_data_version', t, first_change);
    EXECUTE format('DROP TRIGGER %I ON %I', t || '_update_bumps_data_version', t);
    EXECUTE format(
      'CREATE CONSTRAINT TRIGGER %I AFTER UPDATE ON %I DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (CASE WHEN OLD.* IS NOT DISTINCT FROM NEW.* THEN false ELSE %s END) EXECUTE FUNCTION data_version_bump()',
      t || '_update_bumps_data_version', t, first_change);
  END LOOP;
  DROP TRIGGER "trainers_rename_bumps_data_version" ON "trainers";
  EXECUTE format(
    'CREATE CONSTRAINT TRIGGER "trainers_rename_bumps_data_version" AFTER UPDATE OF "name" ON "trainers" DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (CASE WHEN OLD."name" IS NOT DISTINCT FROM NEW."name" THEN false ELSE %s END) EXECUTE FUNCTION data_version_bump()',
    first_change);
END $$;
