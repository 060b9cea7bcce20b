import { spawn } from "node:child_process";
import { hostname } from "node:os";
import { fileURLToPath } from "node:url";
import type { Command } from "commander";
import { UsageError } from "../errors.ts";
import { integer, list } from "../parse.ts";

interface TrainerStartOptions {
  gateway?: string;
  nats?: string;
  joinToken?: string;
  name: string;
  pool?: string;
  labels?: string[];
  maxConcurrentRuns?: number;
  backend?: string;
}

export function trainerCommand(program: Command): void {
  const trainer = program.command("trainer").description("run a trainer node on this machine");

  trainer
    .command("start")
    .description("join this machine to a Graft platform as a trainer node (runs until Ctrl-C)")
    .option("--gateway <graphql-url>", "gateway GraphQL URL (default GATEWAY_URL or GRAFT_URL)")
    .option("--nats <url>", "NATS URL (default NATS_URL, else port 4222 on the gateway's host)")
    .option("--join-token <token>", "join token printed by the gateway (default GRAFT_JOIN_TOKEN)")
    .option("--name <name>", "trainer name", `${hostname()}-${process.pid}`)
    .option("--pool <pool>", 'pool to take jobs from (default "default")')
    .option("--labels <a,b>", "labels, comma-separated", list)
    .option("--max-concurrent-runs <n>", "runs at once", integer(1, 64))
    .option("--backend <backend>", "force a TensorFlow.js backend (tensorflow-gpu, tensorflow, wasm, cpu)")
    .action(async (opts: TrainerStartOptions) => {
      const gateway = opts.gateway ?? process.env.GATEWAY_URL ?? process.env.GRAFT_URL;
      if (!gateway) throw new UsageError("the gateway URL is needed (--gateway http://host:4000/graphql)", "gateway");
      let gatewayUrl: URL;
      try {
        gatewayUrl = new URL(gateway);
      } catch {
        throw new UsageError(`not a URL: ${gateway}`, "gateway");
      }
      const joinToken = opts.joinToken ?? process.env.GRAFT_JOIN_TOKEN;
      if (!joinToken)
        throw new UsageError(
          "the join token is needed (--join-token, printed by the gateway as `Join token: ...`)",
          "join-token",
        );
      const nats = opts.nats ?? process.env.NATS_URL ?? `nats://${gatewayUrl.hostname}:4222`;
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        GATEWAY_URL: gatewayUrl.toString(),
        NATS_URL: nats,
        GRAFT_JOIN_TOKEN: joinToken,
        TRAINER_NAME: opts.name,
      };
      if (opts.pool) env.TRAINER_POOL = opts.pool;
      if (opts.labels) env.TRAINER_LABELS = opts.labels.join(",");
      if (opts.maxConcurrentRuns) env.TRAINER_MAX_CONCURRENT_RUNS = String(opts.maxConcurrentRuns);
      if (opts.backend) env.TRAINER_BACKEND = opts.backend;

      // The trainer is its own package; its bin (`graft-trainer`) runs a node from the environment.
      const trainerBin = fileURLToPath(import.meta.resolve("@graft/trainer/bin"));
      // Own process group: a terminal's Ctrl-C reaches the trainer once, through the CLI, and
      // the trainer drains (finishes its epoch) instead of seeing the signal twice.
      const child = spawn(process.execPath, [trainerBin], { env, stdio: "inherit", detached: true });
      const forward = (signal: NodeJS.Signals) => child.kill(signal);
      process.on("SIGINT", forward);
      process.on("SIGTERM", forward);
      const code = await new Promise<number>((resolve) => child.once("exit", (c, s) => resolve(c ?? (s ? 1 : 0))));
      process.off("SIGINT", forward);
      process.off("SIGTERM", forward);
      process.exitCode = code;
    });
}
