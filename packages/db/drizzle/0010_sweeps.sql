CREATE TYPE "public"."sweep_status" AS ENUM('RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED');--> statement-breakpoint
CREATE TABLE "sweep_trials" (
	"sweep_id" uuid NOT NULL,
	"trial" integer NOT NULL,
	"params" jsonb NOT NULL,
	"hyperparameters" jsonb NOT NULL,
	"run_id" uuid,
	"rung_reached" integer DEFAULT 0 NOT NULL,
	"stopped_at_rung" integer,
	CONSTRAINT "sweep_trials_sweep_id_trial_pk" PRIMARY KEY("sweep_id","trial")
);
--> statement-breakpoint
CREATE TABLE "sweeps" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"project_id" uuid NOT NULL,
	"name" text NOT NULL,
	"base_model_id" uuid NOT NULL,
	"dataset_id" uuid NOT NULL,
	"pool" text NOT NULL,
	"status" "sweep_status" DEFAULT 'RUNNING' NOT NULL,
	"spec" jsonb NOT NULL,
	"trial_count" integer NOT NULL,
	"best_run_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "sweep_trials" ADD CONSTRAINT "sweep_trials_sweep_id_sweeps_id_fk" FOREIGN KEY ("sweep_id") REFERENCES "public"."sweeps"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sweep_trials" ADD CONSTRAINT "sweep_trials_run_id_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."runs"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sweeps" ADD CONSTRAINT "sweeps_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sweeps" ADD CONSTRAINT "sweeps_base_model_id_models_id_fk" FOREIGN KEY ("base_model_id") REFERENCES "public"."models"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sweeps" ADD CONSTRAINT "sweeps_dataset_id_datasets_id_fk" FOREIGN KEY ("dataset_id") REFERENCES "public"."datasets"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "sweep_trials_run_idx" ON "sweep_trials" USING btree ("run_id");--> statement-breakpoint
CREATE INDEX "sweeps_project_created_idx" ON "sweeps" USING btree ("project_id","created_at","id");--> statement-breakpoint
CREATE INDEX "sweeps_running_idx" ON "sweeps" USING btree ("status");