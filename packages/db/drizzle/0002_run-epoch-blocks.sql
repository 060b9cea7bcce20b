CREATE TABLE "run_epoch_blocks" (
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
	CONSTRAINT "run_epoch_blocks_run_id_block_pk" PRIMARY KEY("run_id","block")
);
--> statement-breakpoint
ALTER TABLE "run_epoch_blocks" ADD CONSTRAINT "run_epoch_blocks_run_id_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."runs"("id") ON DELETE cascade ON UPDATE no action;