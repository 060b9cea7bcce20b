CREATE TABLE "event_drops" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"kind" text NOT NULL,
	"subject" text NOT NULL,
	"run_id" text,
	"trainer_id" text,
	"event_type" text,
	"attempt" integer,
	"reason" text NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "nats_revocations" (
	"public_key" text PRIMARY KEY NOT NULL,
	"trainer_id" uuid,
	"revoked_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "models" ADD COLUMN "lineage_reason" text;--> statement-breakpoint
ALTER TABLE "trainers" ADD COLUMN "nats_user_key" text;--> statement-breakpoint
ALTER TABLE "trainers" ADD COLUMN "removed_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "nats_revocations" ADD CONSTRAINT "nats_revocations_trainer_id_trainers_id_fk" FOREIGN KEY ("trainer_id") REFERENCES "public"."trainers"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "event_drops_at_idx" ON "event_drops" USING btree ("at");