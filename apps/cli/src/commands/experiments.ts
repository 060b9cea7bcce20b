import { MetricName, SortDirection } from "@graft/client";
import type { Command } from "commander";
import { contextOf } from "../context.ts";
import { fixed, print, printJson, table } from "../output.ts";
import { oneOf } from "../parse.ts";

export function experimentsCommand(program: Command): void {
  const experiments = program.command("experiments").description("named groups of runs with one objective");

  experiments
    .command("create <name>")
    .description("create an experiment")
    .option("--description <text>", "what it is for")
    .option(
      "--metric <metric>",
      `objective metric (${Object.values(MetricName).join(", ")})`,
      oneOf(Object.values(MetricName)),
      MetricName.ValAccuracy,
    )
    .option(
      "--direction <dir>",
      "ASC (minimise) or DESC (maximise)",
      oneOf(Object.values(SortDirection), (v) => v.toUpperCase()),
    )
    .action(
      async (
        name: string,
        opts: { description?: string; metric: MetricName; direction?: SortDirection },
        command: Command,
      ) => {
        const ctx = contextOf(command);
        const direction =
          opts.direction ?? (opts.metric.toLowerCase().includes("loss") ? SortDirection.Asc : SortDirection.Desc);
        const experiment = await ctx.client().createExperiment({
          name,
          description: opts.description,
          objectiveMetric: opts.metric,
          objectiveDirection: direction,
        });
        if (ctx.json) return printJson(experiment);
        print(`Created experiment ${experiment.name} (${experiment.id})`);
      },
    );

  experiments
    .command("list")
    .description("list experiments")
    .action(async (_opts: unknown, command: Command) => {
      const ctx = contextOf(command);
      const items = await ctx.client().experiments();
      if (ctx.json) return printJson(items);
      print(
        table(
          ["ID", "NAME", "OBJECTIVE", "RUNS", "BEST RUN", "BEST VAL ACC"],
          items.map((e) => [
            e.id,
            e.name,
            `${e.objectiveMetric} ${e.objectiveDirection === "DESC" ? "max" : "min"}`,
            String(e.runs.totalCount),
            e.bestRun?.id ?? "-",
            fixed(e.bestRun?.bestEpoch?.valAccuracy),
          ]),
        ),
      );
    });
}
