ALTER TABLE "runs" ADD COLUMN "control_of" uuid;--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "control_kind" text;--> statement-breakpoint
ALTER TABLE "runs" ADD CONSTRAINT "runs_control_of_runs_id_fk" FOREIGN KEY ("control_of") REFERENCES "public"."runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "runs_control_of_idx" ON "runs" USING btree ("control_of");