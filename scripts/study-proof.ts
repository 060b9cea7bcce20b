/**
 * The proof, produced by the platform itself: starts Graft (nats-server, gateway, one trainer,
 * as processes), runs one data-efficiency study through the GraphQL API with @graft/client,
 * digits-cnn (pre-trained on digits 0-4) onto `mnist-5-9`, fine-tune vs scratch vs linear
 * probe at several data fractions and seeds, and writes the table, the learning curve and
 * the verdict on transfer learning's three claims to docs/transfer-study.md.
 *
 *   npm run study:proof -- [--fractions 0.01,0.1,1] [--seeds 1,2] [--epochs 4]
 *     [--max-samples 1500] [--target 0.9] [--out docs/transfer-study.md]
 *
 * Sized for ~10-15 minutes on a loaded 2-core machine: the scratch arm trains every layer
 * (the full path), which is what costs; --max-samples caps the dataset before the split.
 */
import { execFileSync } from "node:child_process";
import { writeFile } from "node:fs/promises";
import os from "node:os";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { GraftClient, type StudyQuery } from "@graft/client";
import { waitFor } from "@graft/testkit";
import { startChaosStack } from "../test/support/chaos.ts";

const { values } = parseArgs({
  options: {
    fractions: { type: "string", default: "0.01,0.1,1" },
    seeds: { type: "string", default: "1,2" },
    epochs: { type: "string", default: "4" },
    "max-samples": { type: "string", default: "1500" },
    target: { type: "string" },
    /** After this many minutes, runs not yet ended are cancelled and the doc says so. */
    "budget-minutes": { type: "string", default: "40" },
    out: { type: "string", default: "docs/transfer-study.md" },
  },
});
const numbers = (text: string) => text.split(",").map(Number);
const fractions = numbers(values.fractions);
const seeds = numbers(values.seeds);
const epochs = Number(values.epochs);
const maxSamples = Number(values["max-samples"]);
const target = values.target === undefined ? undefined : Number(values.target);
const budgetMs = Number(values["budget-minutes"]) * 60_000;

type Study = NonNullable<StudyQuery["study"]>;
type Cell = Study["cells"][number];

const log = (line: string) => process.stderr.write(`[study:proof] ${line}\n`);
const started = Date.now();
const stack = await startChaosStack({ trainers: ["proof"], offlineAfterMs: 30_000, heartbeatMs: 2_000 });
let study: Study;
try {
  const client = new GraftClient({ url: stack.gateway.url, apiKey: stack.gateway.apiKey });
  const begun = await client.startStudy({
    name: "transfer proof: digits-cnn (0-4) onto mnist-5-9",
    baseModelIds: [stack.ids.digitsCnn],
    datasetId: stack.ids.mnist59,
    fractions,
    arms: ["FINE_TUNE", "SCRATCH", "LINEAR_PROBE"],
    seeds,
    epochs,
    fineTune: { maxSamples },
  });
  log(`study ${begun.id}: ${fractions.length * 3 * seeds.length} runs`);
  let lastDone = -1;
  let cancelled = false;
  study = await waitFor(
    "the study to end",
    async () => {
      const s = await client.study(begun.id, { targetAccuracy: target });
      const done =
        s?.runs.filter((r) => r.status !== "QUEUED" && r.status !== "RUNNING" && r.status !== "ASSIGNED").length ?? 0;
      if (done !== lastDone)
        log(`${done}/${s?.runs.length} runs ended (${Math.round((Date.now() - started) / 1000)} s)`);
      lastDone = done;
      if (s && s.status === "RUNNING" && !cancelled && Date.now() - started > budgetMs) {
        cancelled = true;
        const open = s.runs.filter((r) => r.status === "QUEUED" || r.status === "ASSIGNED" || r.status === "RUNNING");
        log(`over the ${values["budget-minutes"]}-minute budget: cancelling ${open.length} runs`);
        for (const r of open) await client.cancelRun(r.id).catch((e: unknown) => log(`cancel ${r.id}: ${String(e)}`));
      }
      return s && s.status !== "RUNNING" ? s : undefined;
    },
    { timeoutMs: 60 * 60_000, intervalMs: 5_000 },
  );
} finally {
  await stack.stop();
}
const wallSeconds = (Date.now() - started) / 1000;

const pct = (x: number | null | undefined, digits = 1) =>
  x === null || x === undefined ? "-" : `${(x * 100).toFixed(digits)}%`;
const num = (x: number | null | undefined, digits = 1) => (x === null || x === undefined ? "-" : x.toFixed(digits));
const cell = (arm: string, fraction: number) => study.cells.find((c) => c.arm === arm && c.fraction === fraction);
const armName: Record<string, string> = { FINE_TUNE: "fine-tune", SCRATCH: "scratch", LINEAR_PROBE: "linear probe" };

const table = [
  "| arm | fraction | training samples | seeds | final val. accuracy (mean ± sd) | min-max | train seconds (mean) | epochs to target | seconds to target |",
  "|---|---|---|---|---|---|---|---|---|",
  ...study.cells.map(
    (c: Cell) =>
      `| ${armName[c.arm]} | ${c.fraction * 100}% | ${c.samples} | ${c.seeds}/${c.runs} | ${pct(c.meanAccuracy)} ± ${pct(c.stdAccuracy)} | ${pct(c.minAccuracy)}-${pct(c.maxAccuracy)} | ${num(c.meanSeconds)} | ${c.reachedTarget > 0 ? `${num(c.epochsToTarget)} (${c.reachedTarget}/${c.seeds} seeds)` : "not reached"} | ${num(c.secondsToTarget)} |`,
  ),
];

const curve = study.curve.map(
  (line) =>
    `- ${armName[line.arm]}: ${line.points.map((p) => `${p.samples} samples → ${pct(p.meanAccuracy)} (${pct(p.minAccuracy)}-${pct(p.maxAccuracy)})`).join("; ")}`,
);

/** The three claims, each judged on every fraction from the cells above. */
const verdicts: string[] = [];
const byFraction = fractions.map((f) => ({ f, fine: cell("FINE_TUNE", f), scratch: cell("SCRATCH", f) }));
const accuracyWins = byFraction.filter((x) => (x.fine?.meanAccuracy ?? 0) > (x.scratch?.meanAccuracy ?? 1));
verdicts.push(
  `1. **Better accuracy.** ${accuracyWins.length === fractions.length ? "Confirmed" : accuracyWins.length === 0 ? "Refuted" : "Partly confirmed"}: ` +
    byFraction
      .map(
        (x) =>
          `at ${x.f * 100}% fine-tune ${pct(x.fine?.meanAccuracy)} vs scratch ${pct(x.scratch?.meanAccuracy)} (${x.fine?.meanAccuracy != null && x.scratch?.meanAccuracy != null ? `${((x.fine.meanAccuracy - x.scratch.meanAccuracy) * 100).toFixed(1)} pts` : "-"})`,
      )
      .join("; ") +
    ".",
);
const full = byFraction.at(-1);
const fineS = full?.fine?.secondsToTarget;
const scratchS = full?.scratch?.secondsToTarget;
const fineReached = (full?.fine?.reachedTarget ?? 0) > 0;
const scratchReached = (full?.scratch?.reachedTarget ?? 0) > 0;
verdicts.push(
  `2. **Less time.** At ${(full?.f ?? 1) * 100}% of the data, to reach ${pct(study.targetAccuracy)}: fine-tune ${fineReached ? `${num(full?.fine?.epochsToTarget)} epochs / ${num(fineS)} s` : "never"}, scratch ${scratchReached ? `${num(full?.scratch?.epochsToTarget)} epochs / ${num(scratchS)} s` : "never"}; whole runs took ${num(full?.fine?.meanSeconds)} s against ${num(full?.scratch?.meanSeconds)} s. ` +
    (fineReached && (!scratchReached || (fineS ?? Infinity) < (scratchS ?? Infinity))
      ? `Confirmed${scratchReached && fineS && scratchS ? ` (${(scratchS / fineS).toFixed(1)}x faster to target)` : " (scratch never got there)"}.`
      : "Refuted."),
);
const smallest = byFraction[0];
const fullFine = full?.fine?.meanAccuracy;
const smallFine = smallest?.fine?.meanAccuracy;
const smallScratch = smallest?.scratch?.meanAccuracy;
verdicts.push(
  `3. **Good results from small data.** With ${smallest?.fine?.samples} training samples (${(smallest?.f ?? 0) * 100}%), fine-tune reaches ${pct(smallFine)} (${fullFine && smallFine ? `${((smallFine / fullFine) * 100).toFixed(0)}% of its full-data accuracy` : "-"}) where scratch reaches ${pct(smallScratch)}. ` +
    (smallFine != null && smallScratch != null && smallFine > smallScratch && fullFine && smallFine >= 0.8 * fullFine
      ? "Confirmed."
      : smallFine != null && smallScratch != null && smallFine > smallScratch
        ? "Partly confirmed: better than scratch, but well short of full data."
        : "Refuted."),
);

const doc = `# Transfer study: does transfer learning deliver? (generated)

Generated by \`npm run study:proof\` (scripts/study-proof.ts): one data-efficiency study run
through Graft itself (nats-server, gateway and one trainer as processes, the study started
and read with \`@graft/client\`), on ${new Date().toISOString().slice(0, 10)}, ${os.cpus().length} CPU cores
(${os.cpus()[0]?.model ?? "unknown CPU"}), a machine shared with other work: seconds are
indicative, ratios between arms of one run are what to read. Whole study: ${Math.round(wallSeconds)} s wall.

**Setup.** Base \`digits-cnn\`, pre-trained on MNIST digits 0-4, onto \`mnist-5-9\` (digits it
never saw as classes), capped at ${maxSamples} samples before the split (for time: the
scratch arm trains every layer); 20% held out as one validation set shared by every arm,
fraction and seed (a fraction is a seeded, stratified subsample of the training split; a
smaller fraction's samples are a subset of a larger one's). ${epochs} epochs, seeds
${seeds.join(", ")}. Arms: **fine-tune** (the base's measured defaults,
docs/transfer-defaults.md: cut at \`flatten\`, frozen base, Dense 128 + dropout 0.5 head),
**scratch** (same architecture, weights re-initialized, every layer trained), **linear probe**
(frozen base, linear head). Accuracy is a run's final validation accuracy; the target is
${target === undefined ? "0.9 x the best final accuracy of any run" : "given"}: **${pct(study.targetAccuracy)}**.
MobileNetV2 was not run: it did not fit this session's time budget. Seconds are summed epoch
durations: a frozen run's one-off feature extraction before its first epoch is not among them
(as in \`Run.transferGain\`), so the frozen arms' time ratios flatter them somewhat.
${
  study.runs.some((r) => r.status !== "SUCCEEDED")
    ? `\n**Not every run finished:** ${study.runs
        .filter((r) => r.status !== "SUCCEEDED")
        .map((r) => `${r.name ?? r.id} (${r.status})`)
        .join("; ")}. Their cells count only the seeds that succeeded (the seeds column).\n`
    : ""
}

## Table

${table.join("\n")}

## Learning curve (validation accuracy against training samples, mean and min-max over seeds)

${curve.join("\n")}

## The three claims

${verdicts.join("\n")}

Reproduce: \`npm run study:proof -- --fractions ${values.fractions} --seeds ${values.seeds} --epochs ${epochs} --max-samples ${maxSamples}\`;
the same study by hand: \`graft study start --name proof --base digits-cnn --dataset mnist-5-9
--fractions ${values.fractions} --seeds ${values.seeds} --epochs ${epochs} --max-samples ${maxSamples}\`, then
\`graft study show <id>\` or \`graft study export <id> --format csv\`.
`;
await writeFile(values.out, doc);
// The repo's one formatter also formats Markdown (aligned tables); a generated doc passes lint as written.
execFileSync(
  process.execPath,
  [fileURLToPath(import.meta.resolve("@biomejs/biome/bin/biome")), "format", "--write", values.out],
  {
    stdio: "ignore",
  },
);
log(`wrote ${values.out} (${Math.round(wallSeconds)} s)`);
