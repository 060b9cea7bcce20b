ALTER TABLE "models" ADD COLUMN "initialization" text;--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "forked_from_run_id" uuid;--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "forked_from_epoch" integer;--> statement-breakpoint
ALTER TABLE "runs" ADD CONSTRAINT "runs_forked_from_run_id_runs_id_fk" FOREIGN KEY ("forked_from_run_id") REFERENCES "public"."runs"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "runs_forked_from_idx" ON "runs" USING btree ("forked_from_run_id");--> statement-breakpoint
-- Models fine-tuned before this column existed: their run's hyperparameters say how training started.
UPDATE "models" SET "initialization" = COALESCE("runs"."hyperparameters"->>'initialization', 'PRETRAINED') FROM "runs" WHERE "models"."produced_by_run_id" = "runs"."id";
