import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import { contextOf } from "../context.ts";
import { UsageError } from "../errors.ts";
import { paint, print, printJson, table } from "../output.ts";
import { resolveDataset } from "../resolve.ts";

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
            d.sampleShape.length > 0 ? d.sampleShape.join("x") : "text",
            d.builtin ? "built-in" : "uploaded",
          ]),
        ),
      );
    });

  datasets
    .command("show <dataset>")
    .description("a dataset's classes: samples per class and, for text, sample texts")
    .action(async (ref: string, _opts: unknown, command: Command) => {
      const ctx = contextOf(command);
      const client = ctx.client();
      const { id } = await resolveDataset(client, ref);
      const dataset = (await client.datasets()).find((d) => d.id === id);
      if (!dataset) throw new UsageError(`dataset ${ref} disappeared`, "dataset");
      if (ctx.json) return printJson(dataset);
      print(`${paint(dataset.name, "bold")} v${dataset.version}  ${dataset.id}`);
      print(`task: ${dataset.task}   samples: ${dataset.sampleCount}   ${dataset.builtin ? "built-in" : "uploaded"}`);
      for (const c of dataset.classes) {
        print(`\n${paint(c.label, "bold")}  ${c.count} samples`);
        for (const text of c.sampleTexts) print(`  - ${text.replace(/\s+/g, " ")}`);
      }
    });

  datasets
    .command("upload <file>")
    .description(
      "create a dataset: a zip of class folders of PNG/JPEG images, or a UTF-8 CSV (text,label columns) or JSONL of texts",
    )
    .requiredOption("--name <name>", "dataset name")
    .action(async (file: string, opts: { name: string }, command: Command) => {
      const ctx = contextOf(command);
      const client = ctx.client();
      const upload = await client.upload(await readFile(file));
      const dataset = await client.createDataset(opts.name, upload.uploadId);
      if (ctx.json) return printJson(dataset);
      print(
        `Created dataset ${dataset.name} v${dataset.version} (${dataset.id}): ${dataset.sampleCount} samples, labels ${dataset.labels.join(", ")}`,
      );
    });
}
