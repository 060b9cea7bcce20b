CREATE TABLE "run_epoch_superblocks" (
	"run_id" uuid NOT NULL,
	"block" integer NOT NULL,
	"loss_min" double precision,
	"loss_max" double precision,
	"loss_last_epoch" integer,
	"loss_last" double precision,
	"accuracy_min" double precision,
	"accuracy_max" double precision,
	"accuracy_last_epoch" integer,
	"accuracy_last" double precision,
	"val_loss_min" double precision,
	"val_loss_max" double precision,
	"val_loss_last_epoch" integer,
	"val_loss_last" double precision,
	"val_accuracy_min" double precision,
	"val_accuracy_max" double precision,
	"val_accuracy_last_epoch" integer,
	"val_accuracy_last" double precision,
	CONSTRAINT "run_epoch_superblocks_run_id_block_pk" PRIMARY KEY("run_id","block")
);
--> statement-breakpoint
ALTER TABLE "run_epoch_superblocks" ADD CONSTRAINT "run_epoch_superblocks_run_id_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."runs"("id") ON DELETE cascade ON UPDATE no action;
--> statement-breakpoint
-- The insert trigger now keeps both block sizes: each INSERT's new epochs are summarised per
-- 32-epoch block once, and those block summaries are merged into run_epoch_blocks and, eight
-- to a 256-epoch block, into run_epoch_superblocks. Merging (least/greatest, the later epoch's
-- value) commutes, so concurrent inserts into the same block cannot lose each other's values.
-- A block's "last" is its latest epoch's value: max(array[epoch, value]) picks it, arrays
-- comparing element-wise (epochs are exact in float8); the FILTER keeps blocks without the metric out.
CREATE OR REPLACE FUNCTION "run_epoch_blocks_add"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  WITH fresh AS (
    SELECT run_id, epoch >> 5 AS block,
      min(loss) AS loss_min, max(loss) AS loss_max, max(epoch) FILTER (WHERE loss IS NOT NULL) AS loss_last_epoch,
      (array_agg(loss ORDER BY epoch DESC) FILTER (WHERE loss IS NOT NULL))[1] AS loss_last,
      min(accuracy) AS accuracy_min, max(accuracy) AS accuracy_max, max(epoch) FILTER (WHERE accuracy IS NOT NULL) AS accuracy_last_epoch,
      (array_agg(accuracy ORDER BY epoch DESC) FILTER (WHERE accuracy IS NOT NULL))[1] AS accuracy_last,
      min(val_loss) AS val_loss_min, max(val_loss) AS val_loss_max, max(epoch) FILTER (WHERE val_loss IS NOT NULL) AS val_loss_last_epoch,
      (array_agg(val_loss ORDER BY epoch DESC) FILTER (WHERE val_loss IS NOT NULL))[1] AS val_loss_last,
      min(val_accuracy) AS val_accuracy_min, max(val_accuracy) AS val_accuracy_max, max(epoch) FILTER (WHERE val_accuracy IS NOT NULL) AS val_accuracy_last_epoch,
      (array_agg(val_accuracy ORDER BY epoch DESC) FILTER (WHERE val_accuracy IS NOT NULL))[1] AS val_accuracy_last
    FROM new_epochs GROUP BY run_id, epoch >> 5
  ), blocks AS (
    INSERT INTO run_epoch_blocks AS b (run_id, block, loss_min, loss_max, loss_last_epoch, loss_last, accuracy_min, accuracy_max, accuracy_last_epoch, accuracy_last, val_loss_min, val_loss_max, val_loss_last_epoch, val_loss_last, val_accuracy_min, val_accuracy_max, val_accuracy_last_epoch, val_accuracy_last)
    SELECT * FROM fresh
    ON CONFLICT (run_id, block) DO UPDATE SET
      loss_min = least(b.loss_min, excluded.loss_min),
    loss_max = greatest(b.loss_max, excluded.loss_max),
    loss_last = CASE WHEN b.loss_last_epoch IS NULL OR excluded.loss_last_epoch > b.loss_last_epoch THEN excluded.loss_last ELSE b.loss_last END,
    loss_last_epoch = greatest(b.loss_last_epoch, excluded.loss_last_epoch),
    accuracy_min = least(b.accuracy_min, excluded.accuracy_min),
    accuracy_max = greatest(b.accuracy_max, excluded.accuracy_max),
    accuracy_last = CASE WHEN b.accuracy_last_epoch IS NULL OR excluded.accuracy_last_epoch > b.accuracy_last_epoch THEN excluded.accuracy_last ELSE b.accuracy_last END,
    accuracy_last_epoch = greatest(b.accuracy_last_epoch, excluded.accuracy_last_epoch),
    val_loss_min = least(b.val_loss_min, excluded.val_loss_min),
    val_loss_max = greatest(b.val_loss_max, excluded.val_loss_max),
    val_loss_last = CASE WHEN b.val_loss_last_epoch IS NULL OR excluded.val_loss_last_epoch > b.val_loss_last_epoch THEN excluded.val_loss_last ELSE b.val_loss_last END,
    val_loss_last_epoch = greatest(b.val_loss_last_epoch, excluded.val_loss_last_epoch),
    val_accuracy_min = least(b.val_accuracy_min, excluded.val_accuracy_min),
    val_accuracy_max = greatest(b.val_accuracy_max, excluded.val_accuracy_max),
    val_accuracy_last = CASE WHEN b.val_accuracy_last_epoch IS NULL OR excluded.val_accuracy_last_epoch > b.val_accuracy_last_epoch THEN excluded.val_accuracy_last ELSE b.val_accuracy_last END,
    val_accuracy_last_epoch = greatest(b.val_accuracy_last_epoch, excluded.val_accuracy_last_epoch)
  )
  INSERT INTO run_epoch_superblocks AS b (run_id, block, loss_min, loss_max, loss_last_epoch, loss_last, accuracy_min, accuracy_max, accuracy_last_epoch, accuracy_last, val_loss_min, val_loss_max, val_loss_last_epoch, val_loss_last, val_accuracy_min, val_accuracy_max, val_accuracy_last_epoch, val_accuracy_last)
  SELECT run_id, block >> 3,
    min(loss_min), max(loss_max), max(loss_last_epoch), (max(array[loss_last_epoch::float8, loss_last]) FILTER (WHERE loss_last_epoch IS NOT NULL))[2],
    min(accuracy_min), max(accuracy_max), max(accuracy_last_epoch), (max(array[accuracy_last_epoch::float8, accuracy_last]) FILTER (WHERE accuracy_last_epoch IS NOT NULL))[2],
    min(val_loss_min), max(val_loss_max), max(val_loss_last_epoch), (max(array[val_loss_last_epoch::float8, val_loss_last]) FILTER (WHERE val_loss_last_epoch IS NOT NULL))[2],
    min(val_accuracy_min), max(val_accuracy_max), max(val_accuracy_last_epoch), (max(array[val_accuracy_last_epoch::float8, val_accuracy_last]) FILTER (WHERE val_accuracy_last_epoch IS NOT NULL))[2]
  FROM fresh GROUP BY run_id, block >> 3
  ON CONFLICT (run_id, block) DO UPDATE SET
    loss_min = least(b.loss_min, excluded.loss_min),
    loss_max = greatest(b.loss_max, excluded.loss_max),
    loss_last = CASE WHEN b.loss_last_epoch IS NULL OR excluded.loss_last_epoch > b.loss_last_epoch THEN excluded.loss_last ELSE b.loss_last END,
    loss_last_epoch = greatest(b.loss_last_epoch, excluded.loss_last_epoch),
    accuracy_min = least(b.accuracy_min, excluded.accuracy_min),
    accuracy_max = greatest(b.accuracy_max, excluded.accuracy_max),
    accuracy_last = CASE WHEN b.accuracy_last_epoch IS NULL OR excluded.accuracy_last_epoch > b.accuracy_last_epoch THEN excluded.accuracy_last ELSE b.accuracy_last END,
    accuracy_last_epoch = greatest(b.accuracy_last_epoch, excluded.accuracy_last_epoch),
    val_loss_min = least(b.val_loss_min, excluded.val_loss_min),
    val_loss_max = greatest(b.val_loss_max, excluded.val_loss_max),
    val_loss_last = CASE WHEN b.val_loss_last_epoch IS NULL OR excluded.val_loss_last_epoch > b.val_loss_last_epoch THEN excluded.val_loss_last ELSE b.val_loss_last END,
    val_loss_last_epoch = greatest(b.val_loss_last_epoch, excluded.val_loss_last_epoch),
    val_accuracy_min = least(b.val_accuracy_min, excluded.val_accuracy_min),
    val_accuracy_max = greatest(b.val_accuracy_max, excluded.val_accuracy_max),
    val_accuracy_last = CASE WHEN b.val_accuracy_last_epoch IS NULL OR excluded.val_accuracy_last_epoch > b.val_accuracy_last_epoch THEN excluded.val_accuracy_last ELSE b.val_accuracy_last END,
    val_accuracy_last_epoch = greatest(b.val_accuracy_last_epoch, excluded.val_accuracy_last_epoch);
  RETURN NULL;
END
$$;
--> statement-breakpoint
-- Epochs stored before this migration, from their 32-epoch blocks.
INSERT INTO run_epoch_superblocks (run_id, block, loss_min, loss_max, loss_last_epoch, loss_last, accuracy_min, accuracy_max, accuracy_last_epoch, accuracy_last, val_loss_min, val_loss_max, val_loss_last_epoch, val_loss_last, val_accuracy_min, val_accuracy_max, val_accuracy_last_epoch, val_accuracy_last)
  SELECT run_id, block >> 3,
    min(loss_min), max(loss_max), max(loss_last_epoch), (max(array[loss_last_epoch::float8, loss_last]) FILTER (WHERE loss_last_epoch IS NOT NULL))[2],
    min(accuracy_min), max(accuracy_max), max(accuracy_last_epoch), (max(array[accuracy_last_epoch::float8, accuracy_last]) FILTER (WHERE accuracy_last_epoch IS NOT NULL))[2],
    min(val_loss_min), max(val_loss_max), max(val_loss_last_epoch), (max(array[val_loss_last_epoch::float8, val_loss_last]) FILTER (WHERE val_loss_last_epoch IS NOT NULL))[2],
    min(val_accuracy_min), max(val_accuracy_max), max(val_accuracy_last_epoch), (max(array[val_accuracy_last_epoch::float8, val_accuracy_last]) FILTER (WHERE val_accuracy_last_epoch IS NOT NULL))[2]
  FROM run_epoch_blocks GROUP BY run_id, block >> 3;
