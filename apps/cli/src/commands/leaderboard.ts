import type { Command } from "commander";
import { contextOf } from "../context.ts";
import { fixed, print, printJson, table } from "../output.ts";
import { resolveDataset } from "../resolve.ts";

export function leaderboardCommand(program: Command): void {
  program
    .command("leaderboard <dataset>")
    .description("which base and strategy transfer best onto a dataset (every succeeded run), best first")
    .action(async (ref: string, _opts: unknown, command: Command) => {
      const ctx = contextOf(command);
      const client = ctx.client();
      const dataset = await resolveDataset(client, ref);
      const entries = await client.leaderboard(dataset.id);
      if (ctx.json) return printJson(entries);
      if (entries.length === 0) return print(`No succeeded run on ${dataset.name} yet.`);
      print(
        table(
          ["#", "BASE", "LINEAGE", "STRATEGY", "CUT", "RUNS", "MEAN ACC", "STD", "BEST", "MEAN S"],
          entries.map((e) => [
            String(e.rank),
            e.baseModel.name,
            e.baseDepth === 0 ? "root" : `depth ${e.baseDepth} of ${e.rootModel.name}`,
            e.strategy.toLowerCase().replaceAll("_", "-"),
            e.featureLayer ?? "-",
            String(e.runs),
            fixed(e.meanAccuracy),
            fixed(e.stdAccuracy),
            fixed(e.bestAccuracy),
            fixed(e.meanSeconds, 1),
          ]),
        ),
      );
    });
}
