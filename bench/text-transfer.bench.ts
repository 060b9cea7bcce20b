/**
 * Does pre-training transfer to spam detection? Each built-in text base (pre-trained on
 * Brown Corpus genres, a different corpus and task) fine-tuned on the SpamAssassin task
 * against the same architecture re-initialized and trained from scratch, at a small and
 * the full data size. Every arm trains on the same samples with the same seed and is
 * scored on the same held-out 20% of the corpus.
 *
 * Arms: "frozen" = pre-trained base frozen, head trained on cached features (ALL_BASE);
 * "fine-tuned" = pre-trained base, every layer trained (NONE); "scratch" = re-initialized
 * copy, every layer trained (NONE), same learning rate and epochs as "fine-tuned".
 *
 *   npx tsx bench/text-transfer.bench.ts [--bases text-gru,text-transformer] [--small 100]
 *     [--small-epochs 10] [--full-epochs 3] [--rows rows.jsonl] [--write docs/text-transfer.md]
 *
 * --rows appends each result to a JSON-lines file (so bases can be measured in separate
 * processes); --write renders every row of that file (or of this run) as docs/text-transfer.md.
 */
import { appendFile, readFile, writeFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { builtinModel } from "@graft/catalog";
import { hyperparametersSchema } from "@graft/contracts";
import {
  evaluate,
  fineTune,
  initBackend,
  isTextData,
  type LabeledTexts,
  loadDataset,
  loadModel,
  reinitializedCopy,
  stratifiedSplit,
} from "@graft/trainer/engine";

const { values } = parseArgs({
  options: {
    bases: { type: "string", default: "text-gru,text-transformer" },
    small: { type: "string", default: "100" },
    "small-epochs": { type: "string", default: "10" },
    "full-epochs": { type: "string", default: "3" },
    seed: { type: "string", default: "7" },
    rows: { type: "string" },
    write: { type: "string" },
  },
});
const SEED = Number(values.seed);
const backend = await initBackend();
const corpus = await loadDataset({ kind: "BUILTIN", name: "spam-assassin" });
if (!isTextData(corpus)) throw new Error("spam-assassin is a text dataset");

const subset = (indices: ArrayLike<number>): LabeledTexts => ({
  texts: Array.from(indices, (i) => corpus.texts[i] as string),
  labels: Int32Array.from(indices, (i) => corpus.labels[i] as number),
  labelNames: corpus.labelNames,
});
// One held-out test set for every arm; training data comes from the rest.
const holdout = stratifiedSplit(corpus.labels, 2, 0.2, 2026, null);
const test = subset(holdout.validation);
const pool = subset(holdout.train);
const small = subset(
  stratifiedSplit(pool.labels, 2, 0, SEED, Number(values.small)).train.map((i) => holdout.train[i] as number),
);
const sizes = [
  { name: `small (${small.texts.length})`, data: small, epochs: Number(values["small-epochs"]) },
  { name: `full (${pool.texts.length})`, data: pool, epochs: Number(values["full-epochs"]) },
];

type Arm = "frozen" | "fine-tuned" | "scratch";
const ARMS: Arm[] = ["frozen", "fine-tuned", "scratch"];
const rows: string[] = [];

for (const key of (values.bases as string).split(",")) {
  const meta = builtinModel(key);
  const artifact = await meta.load();
  for (const size of sizes) {
    for (const arm of ARMS) {
      const pretrained = await loadModel({ kind: "artifact", artifact });
      const base = arm === "scratch" ? await reinitializedCopy(pretrained, SEED) : pretrained;
      if (base !== pretrained) pretrained.dispose();
      const hyperparameters = hyperparametersSchema.parse({
        epochs: size.epochs,
        batchSize: 32,
        learningRate: arm === "frozen" ? 0.01 : 0.002,
        freeze: { strategy: arm === "frozen" ? "ALL_BASE" : "NONE" },
        validationSplit: 0,
        seed: SEED,
      });
      const started = performance.now();
      const result = await fineTune({
        base,
        preprocessing: meta.preprocessing,
        featureLayer: meta.featureLayer,
        dataset: size.data,
        tokenizer: artifact.tokenizer,
        hyperparameters,
      });
      const seconds = (performance.now() - started) / 1000;
      const scored = await evaluate(result.model, test, meta.preprocessing, { tokenizer: artifact.tokenizer });
      result.model.dispose();
      const row = `| ${key} | ${size.name} | ${arm} | ${size.epochs} | ${(100 * scored.accuracy).toFixed(1)}% | ${scored.loss.toFixed(3)} | ${seconds.toFixed(1)} s |`;
      console.log(row);
      rows.push(row);
      if (values.rows) await appendFile(values.rows, `${JSON.stringify(row)}\n`);
    }
  }
}

const majority = Math.max(...[0, 1].map((c) => test.labels.filter((l) => l === c).length)) / test.labels.length;
const allRows = values.rows
  ? (await readFile(values.rows, "utf8"))
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line) as string)
  : rows;
const table = [
  "| base | training data | arm | epochs | test accuracy | test loss | train time |",
  "| --- | --- | --- | --- | --- | --- | --- |",
  ...allRows,
].join("\n");
console.log(`\n${table}\n\nalways "ham": ${(100 * majority).toFixed(1)}%; backend ${backend.backend}`);
if (values.write) {
  const doc = `# Text transfer: pre-trained text bases against training from scratch

Measured by \`npx tsx bench/text-transfer.bench.ts --write ${values.write}\` on ${new Date().toISOString().slice(0, 10)}
(backend ${backend.backend}, 2 shared cores under load from other work, so times are noisy; seed ${SEED}).

Both bases were pre-trained on Brown Corpus genre classification (15 genres of 1961
American English, \`brown-genres\`), then fine-tuned on SpamAssassin ham vs spam
(\`spam-assassin\`, emails from 2002): another corpus and another task. Every arm trains on
the same samples with the same seed and is scored on the same held-out 20% of the spam
corpus (${test.texts.length} emails; always answering "ham" scores ${(100 * majority).toFixed(1)}%).

- **frozen**: the pre-trained base frozen, a new softmax head trained on its cached
  features (freeze \`ALL_BASE\`, learning rate 0.01).
- **fine-tuned**: the pre-trained base with every layer trained (freeze \`NONE\`, 0.002).
- **scratch**: the same architecture re-initialized (\`reinitializedCopy\`), every layer
  trained, same learning rate and epochs as fine-tuned.

${table}

Train time is the whole fine-tune call: tokenizing the training texts, the frozen arm's
one pass of the backbone, and every epoch.
`;
  await writeFile(values.write, doc);
  console.log(`wrote ${values.write}`);
}
