import { readFile } from "node:fs/promises";
import type { ModelTree } from "@graft/client";
import type { Command } from "commander";
import { contextOf } from "../context.ts";
import { UsageError } from "../errors.ts";
import { bytes, fixed, paint, print, printJson, table } from "../output.ts";
import { decimal, integer, list, oneOf } from "../parse.ts";
import { resolveModel } from "../resolve.ts";

const SEQUENCE_ENDS = ["START", "END"] as const;
const upper = (v: string) => v.toUpperCase();

const lineageMark = (verified: boolean | null) => (verified === null ? "" : verified ? "verified" : "UNVERIFIED");

export function modelsCommand(program: Command): void {
  const models = program.command("models").description("base and fine-tuned models");

  models
    .command("list")
    .description("list models")
    .option("--kind <kind>", "BASE or FINE_TUNED")
    .option("--name <text>", "name contains")
    .action(async (opts: { kind?: string; name?: string }, command: Command) => {
      const ctx = contextOf(command);
      const kind = opts.kind?.toUpperCase();
      if (kind && kind !== "BASE" && kind !== "FINE_TUNED")
        throw new UsageError("--kind is BASE or FINE_TUNED", "kind");
      const items = await ctx
        .client()
        .models({ kind: kind as "BASE" | "FINE_TUNED" | undefined, nameContains: opts.name });
      if (ctx.json) return printJson(items);
      print(
        table(
          ["ID", "NAME", "KIND", "ARCHITECTURE", "PARENT", "PARAMS", "SIZE", "LINEAGE"],
          items.map((m) => [
            m.id,
            m.name,
            m.kind,
            m.architecture,
            m.parent?.name ?? "-",
            String(m.paramCount),
            bytes(m.sizeBytes),
            lineageMark(m.verifiedLineage),
          ]),
        ),
      );
    });

  models
    .command("show <model>")
    .description("a model's details and layers (name or id)")
    .action(async (ref: string, _opts: unknown, command: Command) => {
      const ctx = contextOf(command);
      const client = ctx.client();
      const model = await client.model((await resolveModel(client, ref, "model")).id);
      if (!model) throw new UsageError(`model ${ref} disappeared`, "model");
      if (ctx.json) return printJson(model);
      print(`${paint(model.name, "bold")}  ${model.id}`);
      print(`kind:          ${model.kind}${model.parent ? ` (parent ${model.parent.name} ${model.parent.id})` : ""}`);
      print(`architecture:  ${model.architecture}   task: ${model.task}`);
      print(`input shape:   [${model.inputShape.join(", ")}]   ${describePreprocessing(model.preprocessing)}`);
      print(`labels:        ${model.labels.join(", ")}`);
      print(
        `params:        ${model.paramCount}   size: ${bytes(model.sizeBytes)}   feature layer: ${model.featureLayer ?? "-"}`,
      );
      if (model.producedBy) print(`produced by:   run ${model.producedBy.id} (${model.producedBy.status})`);
      if (model.bestMetric !== null) print(`best valAcc:   ${fixed(model.bestMetric)}`);
      if (model.verifiedLineage !== null) print(`lineage:       ${lineageMark(model.verifiedLineage)}`);
      if (model.initialization === "SCRATCH")
        print("weights:       re-initialized (SCRATCH): the parent's architecture, none of its weights");
      if (model.forkedFrom)
        print(`forked from:   run ${model.forkedFrom.run.id} after epoch ${model.forkedFrom.epoch}`);
      if (model.children.length) print(`children:      ${model.children.map((c) => c.name).join(", ")}`);
      if (model.featureLayerCandidates.length)
        print(
          `cut points:    ${model.featureLayerCandidates.map((c) => `${c.name} [${c.outputShape.join("x")}]${c.isDefault ? " (default)" : ""}`).join(", ")}`,
        );
      print("");
      print(
        table(
          ["#", "LAYER", "CLASS", "PARAMS", "TRAINABLE", "WEIGHT HASH"],
          model.layers.map((l) => [
            String(l.index),
            l.name,
            l.className,
            String(l.params),
            l.trainable ? "yes" : "frozen",
            l.weightHash?.slice(0, 12) ?? "-",
          ]),
        ),
      );
    });

  models
    .command("layers <model>")
    .description("where a base can be cut for a new head (--feature-layer), and the fine-tune defaults")
    .action(async (ref: string, _opts: unknown, command: Command) => {
      const ctx = contextOf(command);
      const client = ctx.client();
      const options = await client.modelFineTuneOptions((await resolveModel(client, ref, "model")).id);
      if (!options) throw new UsageError(`model ${ref} disappeared`, "model");
      if (ctx.json) return printJson(options);
      const d = options.fineTuneDefaults;
      print(
        `${paint(options.name, "bold")}: default cut ${d.featureLayer ?? "-"}, head ${d.headHiddenUnits ? `hidden ${d.headHiddenUnits} + dropout ${d.headDropout}` : "linear"}, lr ${d.learningRate}`,
      );
      print(
        table(
          ["FEATURE LAYER", "CLASS", "OUTPUT", "BASE PARAMS", "DEFAULT"],
          options.featureLayerCandidates.map((c) => [
            c.name,
            c.className,
            `[${c.outputShape.join(", ")}]`,
            String(c.params),
            c.isDefault ? "yes" : "",
          ]),
        ),
      );
    });

  models
    .command("tree <model>")
    .description("the lineage tree below a model, with its ancestors")
    .option("--depth <n>", "levels below the model", (v) => Number.parseInt(v, 10))
    .action(async (ref: string, opts: { depth?: number }, command: Command) => {
      const ctx = contextOf(command);
      const client = ctx.client();
      const tree = await client.modelTree((await resolveModel(client, ref, "model")).id, opts.depth);
      if (!tree) throw new UsageError(`model ${ref} disappeared`, "model");
      if (ctx.json) return printJson(tree);
      print(renderTree(tree));
    });

  models
    .command("register")
    .description(
      "register a base model: a zip of model.json + weights (+ tokenizer.json for text) (--file) or a model.json URL (--url)",
    )
    .requiredOption("--name <name>", "model name")
    .option("--file <zip>", "zip of a tfjs LayersModel (model.json + weight shards)")
    .option("--url <url>", "http(s) URL of a model.json")
    .option("--labels <a,b,c>", "class labels, comma-separated", list)
    .option("--input-range <min,max>", "pixel range the model expects", (v) => list(v).map(decimal(-1e6, 1e6)))
    .option("--feature-layer <name>", "layer to attach new heads after")
    .option("--task <task>", "image-classification or text-classification", "image-classification")
    .option("--padding <end>", "text models: where padding goes, start or end", oneOf(SEQUENCE_ENDS, upper))
    .option("--truncation <end>", "text models: which end truncation cuts, start or end", oneOf(SEQUENCE_ENDS, upper))
    .option("--pad-token-id <id>", "text models: the padding id (default: the tokenizer's)", integer(0, 10_000_000))
    .action(
      async (
        opts: {
          name: string;
          file?: string;
          url?: string;
          labels?: string[];
          inputRange?: number[];
          featureLayer?: string;
          task: string;
          padding?: "START" | "END";
          truncation?: "START" | "END";
          padTokenId?: number;
        },
        command: Command,
      ) => {
        const ctx = contextOf(command);
        if (Boolean(opts.file) === Boolean(opts.url))
          throw new UsageError("give exactly one of --file or --url", "file");
        if (opts.inputRange && opts.inputRange.length !== 2)
          throw new UsageError("--input-range is min,max", "input-range");
        const client = ctx.client();
        const uploadId = opts.file ? (await client.upload(await readFile(opts.file))).uploadId : undefined;
        const model = await client.registerModel({
          name: opts.name,
          uploadId,
          url: opts.url,
          task: opts.task,
          labels: opts.labels,
          inputRange: opts.inputRange,
          sequencePadding: opts.padding,
          sequenceTruncation: opts.truncation,
          padTokenId: opts.padTokenId,
          featureLayer: opts.featureLayer,
        });
        if (ctx.json) return printJson(model);
        print(`Registered ${model.name} (${model.id}): ${model.architecture}, ${model.paramCount} params`);
      },
    );
}

function renderTree(tree: ModelTree): string {
  const lines: string[] = [];
  if (tree.ancestors.length) lines.push(paint(`ancestors: ${tree.ancestors.map((a) => a.name).join(" > ")}`, "gray"));
  const children = new Map<string, ModelTree["descendants"]>();
  for (const d of tree.descendants) {
    const parent = d.parent?.id ?? "";
    children.set(parent, [...(children.get(parent) ?? []), d]);
  }
  const label = (m: {
    name: string;
    id: string;
    kind: string;
    bestMetric: number | null;
    verifiedLineage: boolean | null;
    initialization?: string | null;
    forkedFrom?: { run: { id: string }; epoch: number } | null;
  }) =>
    `${m.name} (${m.id}) ${m.kind}${m.bestMetric !== null ? ` valAcc=${fixed(m.bestMetric)}` : ""}${m.verifiedLineage === false ? " UNVERIFIED" : ""}` +
    (m.initialization === "SCRATCH" ? " re-initialized (architecture only)" : "") +
    (m.forkedFrom ? ` fork of run ${m.forkedFrom.run.id} at epoch ${m.forkedFrom.epoch}` : "");
  lines.push(label(tree));
  const walk = (id: string, prefix: string) => {
    const kids = children.get(id) ?? [];
    kids.forEach((kid, i) => {
      const last = i === kids.length - 1;
      lines.push(`${prefix}${last ? "└── " : "├── "}${label(kid)}`);
      walk(kid.id, `${prefix}${last ? "    " : "│   "}`);
    });
  };
  walk(tree.id, "");
  return lines.join("\n");
}

function describePreprocessing(p: {
  inputRange?: number[] | null;
  sequenceLength?: number | null;
  padding?: string | null;
  truncation?: string | null;
  tokenizerSha256?: string | null;
}): string {
  if (p.sequenceLength != null)
    return `${p.sequenceLength} token ids, padding at ${p.padding}, truncation at ${p.truncation}, tokenizer ${p.tokenizerSha256?.slice(0, 12)}…`;
  return `range [${(p.inputRange ?? []).join(", ")}]`;
}
