-- Keeps run_epoch_blocks in step with run_epochs: one aggregate per INSERT statement over
-- the rows it actually inserted (the transition table leaves out ON CONFLICT DO NOTHING
-- duplicates), merged into existing blocks with least/greatest and the later epoch's value.
-- Block = epoch >> 5, i.e. floor(epoch / 32).
CREATE FUNCTION "run_epoch_blocks_add"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO run_epoch_blocks AS b (run_id, block, loss_min, loss_max, loss_last_epoch, loss_last, accuracy_min, accuracy_max, accuracy_last_epoch, accuracy_last, val_loss_min, val_loss_max, val_loss_last_epoch, val_loss_last, val_accuracy_min, val_accuracy_max, val_accuracy_last_epoch, val_accuracy_last)
  SELECT run_id, epoch >> 5,
    min(loss), max(loss), max(epoch) FILTER (WHERE loss IS NOT NULL), (array_agg(loss ORDER BY epoch DESC) FILTER (WHERE loss IS NOT NULL))[1],
    min(accuracy), max(accuracy), max(epoch) FILTER (WHERE accuracy IS NOT NULL), (array_agg(accuracy ORDER BY epoch DESC) FILTER (WHERE accuracy IS NOT NULL))[1],
    min(val_loss), max(val_loss), max(epoch) FILTER (WHERE val_loss IS NOT NULL), (array_agg(val_loss ORDER BY epoch DESC) FILTER (WHERE val_loss IS NOT NULL))[1],
    min(val_accuracy), max(val_accuracy), max(epoch) FILTER (WHERE val_accuracy IS NOT NULL), (array_agg(val_accuracy ORDER BY epoch DESC) FILTER (WHERE val_accuracy IS NOT NULL))[1]
  FROM new_epochs GROUP BY run_id, epoch >> 5
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
CREATE TRIGGER "run_epoch_blocks_add" AFTER INSERT ON "run_epochs" REFERENCING NEW TABLE AS new_epochs FOR EACH STATEMENT EXECUTE FUNCTION "run_epoch_blocks_add"();
--> statement-breakpoint
-- Epochs stored before this migration.
INSERT INTO run_epoch_blocks AS b (run_id, block, loss_min, loss_max, loss_last_epoch, loss_last, accuracy_min, accuracy_max, accuracy_last_epoch, accuracy_last, val_loss_min, val_loss_max, val_loss_last_epoch, val_loss_last, val_accuracy_min, val_accuracy_max, val_accuracy_last_epoch, val_accuracy_last)
  SELECT run_id, epoch >> 5,
    min(loss), max(loss), max(epoch) FILTER (WHERE loss IS NOT NULL), (array_agg(loss ORDER BY epoch DESC) FILTER (WHERE loss IS NOT NULL))[1],
    min(accuracy), max(accuracy), max(epoch) FILTER (WHERE accuracy IS NOT NULL), (array_agg(accuracy ORDER BY epoch DESC) FILTER (WHERE accuracy IS NOT NULL))[1],
    min(val_loss), max(val_loss), max(epoch) FILTER (WHERE val_loss IS NOT NULL), (array_agg(val_loss ORDER BY epoch DESC) FILTER (WHERE val_loss IS NOT NULL))[1],
    min(val_accuracy), max(val_accuracy), max(epoch) FILTER (WHERE val_accuracy IS NOT NULL), (array_agg(val_accuracy ORDER BY epoch DESC) FILTER (WHERE val_accuracy IS NOT NULL))[1]
  FROM run_epochs GROUP BY run_id, epoch >> 5
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
