import { ControlKind, FreezeStrategy, MetricName, Optimizer, type StartFineTuneInput } from "@graft/client";

/** Form values as typed (strings); converted to StartFineTuneInput on submit. */
export interface FormValues {
  name: string;
  baseModelId: string;
  datasetId: string;
  experimentId: string;
  pool: string;
  epochs: string;
  batchSize: string;
  optimizer: Optimizer;
  learningRate: string;
  freezeStrategy: FreezeStrategy;
  freezeLayers: string;
  headHiddenUnits: string;
  headDropout: string;
  unfreezeSchedule: string;
  earlyStopping: boolean;
  esMonitor: MetricName;
  esPatience: string;
  esMinDelta: string;
  validationSplit: string;
  seed: string;
  maxSamples: string;
  featureLayer: string;
  /** Epoch checkpoints kept to fork from; empty keeps none. */
  keepCheckpoints: string;
  /** Square input resolution to train at; empty keeps the base's. */
  inputSize: string;
  /** Start a SCRATCH control run beside this one. */
  controlScratch: boolean;
  /** Start a LINEAR_PROBE control run beside this one. */
  controlLinearProbe: boolean;
}

export const DEFAULT_VALUES: FormValues = {
  name: "",
  baseModelId: "",
  datasetId: "",
  experimentId: "",
  pool: "default",
  epochs: "5",
  batchSize: "32",
  optimizer: Optimizer.Adam,
  // Empty: the base's measured default (Model.fineTuneDefaults), shown as the placeholder.
  learningRate: "",
  freezeStrategy: FreezeStrategy.AllBase,
  freezeLayers: "",
  headHiddenUnits: "",
  headDropout: "",
  unfreezeSchedule: "",
  earlyStopping: false,
  esMonitor: MetricName.ValLoss,
  esPatience: "3",
  esMinDelta: "0",
  validationSplit: "0.2",
  seed: "42",
  maxSamples: "",
  featureLayer: "",
  keepCheckpoints: "",
  inputSize: "",
  controlScratch: false,
  controlLinearProbe: false,
};

/** Form control -> the server's field path (extensions.field) for the same value. */
export const FIELD_PATHS: Record<string, keyof FormValues> = {
  name: "name",
  baseModelId: "baseModelId",
  datasetId: "datasetId",
  experimentId: "experimentId",
  pool: "pool",
  epochs: "epochs",
  batchSize: "batchSize",
  optimizer: "optimizer",
  learningRate: "learningRate",
  freeze: "freezeStrategy",
  "freeze.strategy": "freezeStrategy",
  "freeze.layers": "freezeLayers",
  freezeLayers: "freezeLayers",
  head: "headHiddenUnits",
  "head.hiddenUnits": "headHiddenUnits",
  "head.dropout": "headDropout",
  unfreezeSchedule: "unfreezeSchedule",
  earlyStopping: "esMonitor",
  "earlyStopping.monitor": "esMonitor",
  "earlyStopping.patience": "esPatience",
  "earlyStopping.minDelta": "esMinDelta",
  validationSplit: "validationSplit",
  seed: "seed",
  maxSamples: "maxSamples",
  featureLayer: "featureLayer",
  keepCheckpoints: "keepCheckpoints",
  inputSize: "inputSize",
  initialization: "controlScratch",
  controls: "controlScratch",
};

/** Maps a server field path ("input.freeze.layers", "unfreezeSchedule.0.epoch") to a form control. */
export function controlForField(field: string | undefined): keyof FormValues | null {
  if (!field) return null;
  let path = field.replace(/^input\./, "").replace(/\[(\d+)\]/g, ".$1");
  while (path) {
    const control = FIELD_PATHS[path];
    if (control) return control;
    const cut = path.lastIndexOf(".");
    if (cut < 0) break;
    path = path.slice(0, cut);
  }
  return null;
}

export class FormInputError extends Error {
  override name = "FormInputError";
  constructor(
    readonly control: keyof FormValues,
    message: string,
  ) {
    super(message);
  }
}

function num(values: FormValues, control: keyof FormValues, integer: boolean): number {
  const raw = String(values[control]).trim();
  const value = Number(raw);
  if (raw === "" || !Number.isFinite(value)) throw new FormInputError(control, "Enter a number");
  if (integer && !Number.isInteger(value)) throw new FormInputError(control, "Enter a whole number");
  return value;
}

function parseSchedule(text: string): { epoch: number; layers: number }[] {
  const steps = text
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  return steps.map((step) => {
    const match = /^(\d+)\s*:\s*(\d+)$/.exec(step);
    if (!match) throw new FormInputError("unfreezeSchedule", `"${step}" is not epoch:layers`);
    return { epoch: Number(match[1]), layers: Number(match[2]) };
  });
}

/**
 * Only shape is checked here (numbers are numbers); ranges are the server's job so its
 * BAD_USER_INPUT message, next to the field, is the single source of truth.
 */
export function toStartFineTuneInput(values: FormValues): StartFineTuneInput {
  if (!values.baseModelId) throw new FormInputError("baseModelId", "Choose a base model");
  if (!values.datasetId) throw new FormInputError("datasetId", "Choose a dataset");
  const input: StartFineTuneInput = {
    baseModelId: values.baseModelId,
    datasetId: values.datasetId,
    pool: values.pool.trim() || "default",
    epochs: num(values, "epochs", true),
    batchSize: num(values, "batchSize", true),
    optimizer: values.optimizer,
    freeze: {
      strategy: values.freezeStrategy,
      ...(values.freezeStrategy === FreezeStrategy.FirstN && values.freezeLayers.trim() !== ""
        ? { layers: num(values, "freezeLayers", true) }
        : {}),
    },
    validationSplit: num(values, "validationSplit", false),
    seed: num(values, "seed", true),
  };
  // Left empty, the learning rate and head are the base's measured defaults.
  if (values.learningRate.trim()) input.learningRate = num(values, "learningRate", false);
  const hidden = values.headHiddenUnits.trim();
  const dropout = values.headDropout.trim();
  if (hidden || dropout)
    input.head = {
      ...(hidden ? { hiddenUnits: num(values, "headHiddenUnits", true) } : {}),
      ...(dropout ? { dropout: num(values, "headDropout", false) } : {}),
    };
  const controls = [
    ...(values.controlScratch ? [ControlKind.Scratch] : []),
    ...(values.controlLinearProbe ? [ControlKind.LinearProbe] : []),
  ];
  if (controls.length) input.controls = controls;
  if (values.name.trim()) input.name = values.name.trim();
  if (values.experimentId) input.experimentId = values.experimentId;
  if (values.maxSamples.trim()) input.maxSamples = num(values, "maxSamples", true);
  if (values.featureLayer.trim()) input.featureLayer = values.featureLayer.trim();
  if (values.keepCheckpoints.trim()) input.keepCheckpoints = num(values, "keepCheckpoints", true);
  if (values.inputSize.trim()) input.inputSize = num(values, "inputSize", true);
  const schedule = parseSchedule(values.unfreezeSchedule);
  if (schedule.length) input.unfreezeSchedule = schedule;
  if (values.earlyStopping) {
    input.earlyStopping = {
      monitor: values.esMonitor,
      patience: num(values, "esPatience", true),
      minDelta: num(values, "esMinDelta", false),
    };
  }
  return input;
}
