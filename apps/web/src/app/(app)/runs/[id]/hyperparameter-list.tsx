import type { HyperparameterFieldsFragment } from "@graft/client";

/** Flat, human-readable hyperparameters; the compare page diffs the same entries. */
export function hyperparameterEntries(hp: HyperparameterFieldsFragment): [string, string][] {
  return [
    ["Epochs", String(hp.epochs)],
    ["Batch size", String(hp.batchSize)],
    ["Optimizer", hp.optimizer],
    ["Learning rate", String(hp.learningRate)],
    ["Freeze strategy", hp.freezeStrategy === "FIRST_N" ? `FIRST_N (${hp.freezeLayers ?? "?"})` : hp.freezeStrategy],
    ["Head hidden units", String(hp.headHiddenUnits)],
    ["Head dropout", String(hp.headDropout)],
    [
      "Unfreeze schedule",
      hp.unfreezeSchedule.length ? hp.unfreezeSchedule.map((s) => `epoch ${s.epoch}: +${s.layers}`).join(", ") : "—",
    ],
    [
      "Early stopping",
      hp.earlyStopping
        ? `${hp.earlyStopping.monitor}, patience ${hp.earlyStopping.patience}, min Δ ${hp.earlyStopping.minDelta}`
        : "off",
    ],
    ["Validation split", String(hp.validationSplit)],
    ["Seed", String(hp.seed)],
    ["Max samples", hp.maxSamples === null ? "all" : String(hp.maxSamples)],
    ["Feature layer", hp.featureLayer ?? "default"],
    ["Initialization", hp.initialization === "SCRATCH" ? "scratch (re-initialized)" : "pre-trained"],
  ];
}

export function HyperparameterList({ hp }: { hp: HyperparameterFieldsFragment }) {
  return (
    <dl className="kv" data-testid="hyperparameters">
      {hyperparameterEntries(hp).map(([k, v]) => (
        <div key={k} style={{ display: "contents" }}>
          <dt>{k}</dt>
          <dd>{v}</dd>
        </div>
      ))}
    </dl>
  );
}
