import { TrainerStatus } from "@graft/client";
import type { Command } from "commander";
import { contextOf } from "../context.ts";
import { print, printJson, status, table } from "../output.ts";
import { integer, oneOf } from "../parse.ts";

export function trainersCommand(program: Command): void {
  const trainers = program.command("trainers").description("trainer nodes");

  trainers
    .command("list")
    .description("list trainer nodes")
    .option(
      "--status <status>",
      Object.values(TrainerStatus).join(", "),
      oneOf(Object.values(TrainerStatus), (v) => v.toUpperCase()),
    )
    .action(async (opts: { status?: TrainerStatus }, command: Command) => {
      const ctx = contextOf(command);
      const items = await ctx.client().trainers(opts.status);
      if (ctx.json) return printJson(items);
      print(
        table(
          ["ID", "NAME", "HOST", "POOL", "BACKEND", "STATUS", "RUNS", "LAST HEARTBEAT"],
          items.map((t) => [
            t.id,
            t.name,
            t.host,
            t.pool,
            t.backend,
            status(t.status),
            `${t.currentRuns.length}/${t.maxConcurrentRuns}`,
            t.lastHeartbeatAt?.replace("T", " ").slice(0, 19) ?? "-",
          ]),
        ),
      );
    });

  trainers
    .command("drain <trainer>")
    .description("let a trainer finish its runs and take no new ones")
    .action(async (id: string, _opts: unknown, command: Command) => {
      const ctx = contextOf(command);
      const trainer = await ctx.client().drainTrainer(id);
      if (ctx.json) return printJson(trainer);
      print(`Trainer ${trainer.name} (${trainer.id}): ${status(trainer.status)}`);
    });

  trainers
    .command("remove <trainer>")
    .description("remove a trainer: its NATS credentials are revoked at once; it must register again")
    .action(async (id: string, _opts: unknown, command: Command) => {
      const ctx = contextOf(command);
      const trainer = await ctx.client().removeTrainer(id);
      if (ctx.json) return printJson(trainer);
      print(`Trainer ${trainer.name} (${trainer.id}) removed; its NATS credentials are revoked`);
    });

  trainers
    .command("drops")
    .description("run events the gateway refused (forged, not from the run's holder) or dead-lettered")
    .option("--first <n>", "how many, newest first (at most 500)", integer(0, 500), 20)
    .action(async (opts: { first: number }, command: Command) => {
      const ctx = contextOf(command);
      const drops = await ctx.client().eventDrops(opts.first);
      if (ctx.json) return printJson(drops);
      print(`${drops.total} dropped in all`);
      print(
        table(
          ["AT", "KIND", "TRAINER", "RUN", "EVENT", "REASON"],
          drops.items.map((d) => [
            d.at.replace("T", " ").slice(0, 19),
            d.kind,
            d.trainerId ?? "-",
            d.runId ?? "-",
            d.eventType ?? "-",
            d.reason,
          ]),
        ),
      );
    });
}
