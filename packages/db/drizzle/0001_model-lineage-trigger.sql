-- root_id and depth are derived from the parent row on insert, so no caller can store a tree
-- whose cached lineage disagrees with parent_id. Moving a model (changing parent_id) would
-- leave its subtree stale, so it is refused.
CREATE FUNCTION "models_fill_lineage"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  parent_root uuid;
  parent_depth integer;
BEGIN
  IF NEW.parent_id IS NULL THEN
    NEW.root_id := NEW.id;
    NEW.depth := 0;
  ELSE
    SELECT coalesce(root_id, id), depth INTO parent_root, parent_depth FROM models WHERE id = NEW.parent_id;
    IF FOUND THEN
      NEW.root_id := parent_root;
      NEW.depth := parent_depth + 1;
    END IF;
  END IF;
  RETURN NEW;
END
$$;
--> statement-breakpoint
CREATE TRIGGER "models_fill_lineage" BEFORE INSERT ON "models" FOR EACH ROW EXECUTE FUNCTION "models_fill_lineage"();
--> statement-breakpoint
CREATE FUNCTION "models_keep_lineage"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.parent_id IS DISTINCT FROM OLD.parent_id OR NEW.root_id IS DISTINCT FROM OLD.root_id OR NEW.depth IS DISTINCT FROM OLD.depth THEN
    RAISE EXCEPTION 'a model''s lineage (parent_id, root_id, depth) cannot change' USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END
$$;
--> statement-breakpoint
CREATE TRIGGER "models_keep_lineage" BEFORE UPDATE ON "models" FOR EACH ROW EXECUTE FUNCTION "models_keep_lineage"();
