CREATE TYPE "public"."model_kind" AS ENUM('BASE', 'FINE_TUNED');--> statement-breakpoint
CREATE TYPE "public"."run_status" AS ENUM('QUEUED', 'ASSIGNED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED');--> statement-breakpoint
CREATE TYPE "public"."trainer_status" AS ENUM('IDLE', 'BUSY', 'DRAINING', 'OFFLINE');--> statement-breakpoint
CREATE TABLE "api_keys" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"project_id" uuid NOT NULL,
	"name" text NOT NULL,
	"prefix" text NOT NULL,
	"hash" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_used_at" timestamp with time zone,
	"revoked_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "artifacts" (
	"key" text PRIMARY KEY NOT NULL,
	"project_id" uuid,
	"kind" text NOT NULL,
	"size_bytes" bigint NOT NULL,
	"sha256" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "datasets" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"project_id" uuid,
	"name" text NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"task" text NOT NULL,
	"labels" jsonb NOT NULL,
	"class_counts" jsonb NOT NULL,
	"sample_count" integer NOT NULL,
	"sample_shape" jsonb NOT NULL,
	"source" jsonb NOT NULL,
	"sha256" text,
	"builtin_key" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "experiments" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"project_id" uuid NOT NULL,
	"name" text NOT NULL,
	"description" text,
	"objective_metric" text DEFAULT 'valAccuracy' NOT NULL,
	"objective_direction" text DEFAULT 'DESC' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "join_tokens" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"hash" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"revoked_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "models" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"project_id" uuid,
	"name" text NOT NULL,
	"kind" "model_kind" NOT NULL,
	"parent_id" uuid,
	"root_id" uuid,
	"depth" integer DEFAULT 0 NOT NULL,
	"produced_by_run_id" uuid,
	"architecture" text NOT NULL,
	"task" text NOT NULL,
	"input_shape" jsonb NOT NULL,
	"labels" jsonb NOT NULL,
	"preprocessing" jsonb NOT NULL,
	"feature_layer" text,
	"layers" jsonb NOT NULL,
	"param_count" bigint NOT NULL,
	"size_bytes" bigint NOT NULL,
	"artifact_key" text NOT NULL,
	"provenance" jsonb,
	"verified_lineage" boolean,
	"builtin_key" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "projects" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "projects_name_unique" UNIQUE("name")
);
--> statement-breakpoint
CREATE TABLE "run_attempts" (
	"run_id" uuid NOT NULL,
	"attempt" integer NOT NULL,
	"trainer_id" uuid,
	"status" text NOT NULL,
	"resumed_from_epoch" integer DEFAULT 0 NOT NULL,
	"error" text,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"ended_at" timestamp with time zone,
	CONSTRAINT "run_attempts_run_id_attempt_pk" PRIMARY KEY("run_id","attempt")
);
--> statement-breakpoint
CREATE TABLE "run_epochs" (
	"run_id" uuid NOT NULL,
	"epoch" integer NOT NULL,
	"attempt" integer NOT NULL,
	"loss" double precision NOT NULL,
	"accuracy" double precision,
	"val_loss" double precision,
	"val_accuracy" double precision,
	"learning_rate" double precision NOT NULL,
	"duration_ms" double precision NOT NULL,
	"samples_per_second" double precision NOT NULL,
	"trainable_params" bigint NOT NULL,
	"frozen_layers" integer NOT NULL,
	"recorded_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "run_epochs_run_id_epoch_pk" PRIMARY KEY("run_id","epoch")
);
--> statement-breakpoint
CREATE TABLE "runs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"project_id" uuid NOT NULL,
	"name" text,
	"experiment_id" uuid,
	"base_model_id" uuid NOT NULL,
	"dataset_id" uuid NOT NULL,
	"pool" text NOT NULL,
	"status" "run_status" DEFAULT 'QUEUED' NOT NULL,
	"epochs" integer NOT NULL,
	"batch_size" integer NOT NULL,
	"optimizer" text NOT NULL,
	"learning_rate" double precision NOT NULL,
	"freeze_strategy" text NOT NULL,
	"seed" integer NOT NULL,
	"hyperparameters" jsonb NOT NULL,
	"current_attempt" integer DEFAULT 0 NOT NULL,
	"attempt_count" integer DEFAULT 0 NOT NULL,
	"trainer_id" uuid,
	"training_path" text,
	"output_model_id" uuid NOT NULL,
	"output_model_created" boolean DEFAULT false NOT NULL,
	"error" jsonb,
	"last_epoch" integer DEFAULT 0 NOT NULL,
	"best_val_accuracy" double precision,
	"best_val_loss" double precision,
	"queued_at" timestamp with time zone DEFAULT now() NOT NULL,
	"assigned_at" timestamp with time zone,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "trainers" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"host" text NOT NULL,
	"pool" text NOT NULL,
	"backend" text NOT NULL,
	"devices" jsonb NOT NULL,
	"labels" jsonb NOT NULL,
	"cpu_count" integer NOT NULL,
	"memory_bytes" bigint NOT NULL,
	"max_concurrent_runs" integer NOT NULL,
	"status" "trainer_status" DEFAULT 'IDLE' NOT NULL,
	"token_hash" text NOT NULL,
	"current_runs" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"last_heartbeat_at" timestamp with time zone,
	"registered_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "uploads" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"project_id" uuid NOT NULL,
	"artifact_key" text NOT NULL,
	"size_bytes" bigint NOT NULL,
	"sha256" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"consumed_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "artifacts" ADD CONSTRAINT "artifacts_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "datasets" ADD CONSTRAINT "datasets_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "experiments" ADD CONSTRAINT "experiments_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "models" ADD CONSTRAINT "models_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "models" ADD CONSTRAINT "models_parent_id_models_id_fk" FOREIGN KEY ("parent_id") REFERENCES "public"."models"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "run_attempts" ADD CONSTRAINT "run_attempts_run_id_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "run_attempts" ADD CONSTRAINT "run_attempts_trainer_id_trainers_id_fk" FOREIGN KEY ("trainer_id") REFERENCES "public"."trainers"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "run_epochs" ADD CONSTRAINT "run_epochs_run_id_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "runs" ADD CONSTRAINT "runs_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "runs" ADD CONSTRAINT "runs_experiment_id_experiments_id_fk" FOREIGN KEY ("experiment_id") REFERENCES "public"."experiments"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "runs" ADD CONSTRAINT "runs_base_model_id_models_id_fk" FOREIGN KEY ("base_model_id") REFERENCES "public"."models"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "runs" ADD CONSTRAINT "runs_dataset_id_datasets_id_fk" FOREIGN KEY ("dataset_id") REFERENCES "public"."datasets"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "runs" ADD CONSTRAINT "runs_trainer_id_trainers_id_fk" FOREIGN KEY ("trainer_id") REFERENCES "public"."trainers"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "uploads" ADD CONSTRAINT "uploads_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "api_keys_hash_idx" ON "api_keys" USING btree ("hash");--> statement-breakpoint
CREATE INDEX "api_keys_project_idx" ON "api_keys" USING btree ("project_id");--> statement-breakpoint
CREATE INDEX "artifacts_project_idx" ON "artifacts" USING btree ("project_id");--> statement-breakpoint
CREATE UNIQUE INDEX "datasets_project_name_version_idx" ON "datasets" USING btree ("project_id","name","version");--> statement-breakpoint
CREATE UNIQUE INDEX "datasets_builtin_key_idx" ON "datasets" USING btree ("builtin_key");--> statement-breakpoint
CREATE UNIQUE INDEX "experiments_project_name_idx" ON "experiments" USING btree ("project_id","name");--> statement-breakpoint
CREATE UNIQUE INDEX "join_tokens_hash_idx" ON "join_tokens" USING btree ("hash");--> statement-breakpoint
CREATE INDEX "models_parent_idx" ON "models" USING btree ("parent_id");--> statement-breakpoint
CREATE INDEX "models_root_idx" ON "models" USING btree ("root_id");--> statement-breakpoint
CREATE INDEX "models_project_created_idx" ON "models" USING btree ("project_id","created_at","id");--> statement-breakpoint
CREATE UNIQUE INDEX "models_builtin_key_idx" ON "models" USING btree ("builtin_key");--> statement-breakpoint
CREATE INDEX "runs_project_queued_idx" ON "runs" USING btree ("project_id","queued_at","id");--> statement-breakpoint
CREATE INDEX "runs_project_status_idx" ON "runs" USING btree ("project_id","status","queued_at","id");--> statement-breakpoint
CREATE INDEX "runs_experiment_idx" ON "runs" USING btree ("experiment_id","queued_at","id");--> statement-breakpoint
CREATE INDEX "runs_base_model_idx" ON "runs" USING btree ("base_model_id");--> statement-breakpoint
CREATE INDEX "runs_dataset_idx" ON "runs" USING btree ("dataset_id");--> statement-breakpoint
CREATE INDEX "runs_trainer_idx" ON "runs" USING btree ("trainer_id");--> statement-breakpoint
CREATE UNIQUE INDEX "runs_output_model_idx" ON "runs" USING btree ("output_model_id");--> statement-breakpoint
CREATE INDEX "trainers_status_idx" ON "trainers" USING btree ("status");