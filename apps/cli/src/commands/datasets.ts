import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import { contextOf } from "../context.ts";
import { print, printJson, table } from "../output.ts";

export function datasetsCommand(program: Command): void {
  const datasets = program.command("datasets").description("built-in and uploaded datasets");

  datasets
    .command("list")
    .description("list datasets")
    .action(async (_opts: unknown, command: Command) => {
      const ctx = contextOf(command);
      const items = await ctx.client().datasets();
      if (ctx.json) return printJson(items);
      print(
        table(
          ["ID", "NAME", "VERSION", "SAMPLES", "LABELS", "SHAPE", "SOURCE"],
          items.map((d) => [
            d.id,
            d.name,
            String(d.version),
            String(d.sampleCount),
            d.labels.length > 6 ? `${d.labels.slice(0, 6).join(",")},… (${d.labels.length})` : d.labels.join(","),
            d.sampleShape.join("x"),
            d.builtin ? "built-in" : "uploaded",
          ]),
        ),
      );
    });

  datasets
    .command("upload <zip>")
    .description("create a dataset from a zip of class folders of PNG/JPEG images")
    .requiredOption("--name <name>", "dataset name")
    .action(async (zip: string, opts: { name: string }, command: Command) => {
      const ctx = contextOf(command);
      const client = ctx.client();
      const upload = await client.upload(await readFile(zip));
      const dataset = await client.createDataset(opts.name, upload.uploadId);
      if (ctx.json) return printJson(dataset);
      print(
        `Created dataset ${dataset.name} v${dataset.version} (${dataset.id}): ${dataset.sampleCount} samples, labels ${dataset.labels.join(", ")}`,
      );
    });
}
