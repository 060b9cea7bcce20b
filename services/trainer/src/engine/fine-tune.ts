import {
  type EpochMetrics,
  type Hyperparameters,
  isTextPreprocessing,
  type Optimizer,
  type Preprocessing,
  type TrainingPath,
  trainingPathFor,
} from "@graft/contracts";
import * as tf from "@tensorflow/tfjs";
import { IncompatibleDatasetError } from "../job-errors.ts";
import { type BackendInfo, initBackend } from "./backend.ts";
import { encodeCheckpoint, type RestoredState, restoreCheckpoint } from "./checkpoint.ts";
import {
  applyFreeze,
  type CutModel,
  countTrainableParams,
  cutAndAttachHead,
  defaultFeatureLayer,
  freezeBatchNormStatistics,
  unfreezeTop,
} from "./cut.ts";
import { FineTuneCancelledError } from "./errors.ts";
import { type FeatureCache, featureCacheKey, type StoredFeatures } from "./feature-cache.ts";
import {
  createInputPipeline,
  type InputPipeline,
  isTextData,
  sampleCount,
  type TrainingData,
} from "./input-pipeline.ts";
import { atInputSize } from "./input-size.ts";
import { EarlyStopping } from "./metrics.ts";
import { accumulatedStep, microBatchSize } from "./micro-batch.ts";
import { type ProgressListener, ProgressMeter } from "./progress.ts";
import { seededRandom, shuffleInPlace } from "./random.ts";
import { reinitializedCopy } from "./reinitialize.ts";
import { stratifiedSplit } from "./split.ts";

export interface FineTuneOptions {
  /** Consumed: its layers become the child's. Dispose only the returned model. */
  base: tf.LayersModel;
  preprocessing: Preprocessing;
  /** The base's recorded cut point; hyperparameters.featureLayer overrides it; null = guess. */
  featureLayer: string | null;
  dataset: TrainingData;
  /** tokenizer.json of a text base (its artifact's); checked against preprocessing.tokenizerSha256. */
  tokenizer?: Uint8Array;
  hyperparameters: Hyperparameters;
  resume?: { completedEpochs: number; checkpoint: Uint8Array };
  /**
   * A fork's starting point: another run's checkpoint (same base, cut and head). Only its
   * weights are taken; the optimizer and early stopping start fresh, since a fork may change
   * the learning rate or what is frozen. Ignored when `resume` is given (the fork's own
   * checkpoint is newer).
   */
  initialWeights?: Uint8Array;
  signal?: AbortSignal;
  onEpoch?: (epoch: number, metrics: EpochMetrics, checkpoint: () => Promise<Uint8Array>) => Promise<void>;
  /** Called after every batch; the event loop gets a turn right after it. */
  onBatch?: () => void;
  /** Phase and progress inside the epoch (features, batches, validation), at most every 250 ms. */
  onProgress?: ProgressListener;
  /**
   * Use the feature cache when every base layer is frozen; false re-runs the frozen backbone
   * on every batch (for benchmarks; the result is the same). @default true
   */
  featureCache?: boolean;
  /**
   * Features kept on the trainer's disk across runs (see FeatureCache): on the FEATURE_CACHE
   * path over images, samples whose features are stored for this backbone, dataset,
   * preprocessing and backend are read instead of extracted, and new ones are stored.
   */
  featureStore?: FeatureCache;
  /** Samples per forward pass when extracting features or validating. @default 32 */
  inferenceBatchSize?: number;
}

export interface FineTuneResult {
  model: tf.LayersModel;
  trainingPath: TrainingPath;
  featureLayer: string;
  stoppedEarly: boolean;
  epochsCompleted: number;
  /** Base layers still frozen at the end: their weights equal the parent's. */
  frozenLayerNames: string[];
  /** The backend that trained, e.g. "wasm" or "wasm (gradients on cpu)". */
  backend: string;
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Fine-tunes `base` on `dataset`: cuts it at the feature layer, attaches a new head, freezes
 * per strategy and trains with a seeded, stratified split, on the path `trainingPathFor`
 * picks: the backbone runs once over all samples and only the head trains (FEATURE_CACHE),
 * or every batch runs through the whole model (FULL).
 */
export async function fineTune(options: FineTuneOptions): Promise<FineTuneResult> {
  const { dataset, hyperparameters: hp, signal } = options;
  let base = options.base;
  let cut: CutModel | undefined;
  let runner: Runner | undefined;
  try {
    const backend = await initBackend();
    if (hp.initialization === "SCRATCH") {
      // The scratch control: same topology, every initializer re-seeded from the run's seed.
      const fresh = await reinitializedCopy(base, hp.seed);
      base.dispose();
      base = fresh;
    }
    if (hp.inputSize !== null) {
      // After re-initializing (the weights are kept as they are): every arm of a study alike.
      const featureLayer = hp.featureLayer ?? options.featureLayer ?? defaultFeatureLayer(base);
      base = await atInputSize(base, hp.inputSize, featureLayer);
    }
    checkDataset(dataset);
    throwIfAborted(signal);
    const inputShape = (base.inputs[0] as tf.SymbolicTensor).shape.slice(1) as number[];
    const input = createInputPipeline(dataset, inputShape, options.preprocessing, options.tokenizer);
    cut = cutAndAttachHead(base, hp.featureLayer ?? options.featureLayer, dataset.labelNames.length, hp.head, hp.seed);
    // The base's own head is not part of the child: free it now.
    const kept = new Set(cut.child.layers);
    for (const layer of base.layers) if (!kept.has(layer)) layer.dispose();
    runner = new Runner(options, cut, input, backend);
    return await runner.run();
  } catch (error) {
    (cut?.child ?? base).dispose();
    throw error;
  } finally {
    runner?.dispose();
    // Head layers are shared with the child, which keeps them alive; only this wrapper goes.
    cut?.head.dispose();
  }
}

function throwIfAborted(signal: AbortSignal | undefined) {
  if (signal?.aborted) throw new FineTuneCancelledError({ cause: signal.reason });
}

function checkDataset(d: TrainingData) {
  const n = sampleCount(d);
  if (d.labelNames.length < 2) throw new IncompatibleDatasetError("a classifier needs at least 2 labels");
  if (n < 2 || d.labels.length !== n) throw new IncompatibleDatasetError(`${d.labels.length} labels for ${n} samples`);
  if (!isTextData(d)) {
    const [, h, w, c] = d.shape;
    if (d.images.length !== n * h * w * c)
      throw new IncompatibleDatasetError(`pixel buffer holds ${d.images.length} values, shape needs ${n * h * w * c}`);
    if (c !== 1 && c !== 3) throw new IncompatibleDatasetError(`images have ${c} channels; 1 or 3 expected`);
  }
  for (const label of d.labels)
    if (label < 0 || label >= d.labelNames.length)
      throw new IncompatibleDatasetError(`label index ${label} is out of range`);
}

const OPTIMIZERS: Record<Optimizer, (learningRate: number) => tf.Optimizer> = {
  ADAM: (lr) => tf.train.adam(lr),
  SGD: (lr) => tf.train.sgd(lr),
  RMSPROP: (lr) => tf.train.rmsprop(lr),
  ADAGRAD: (lr) => tf.train.adagrad(lr),
};

const makeOptimizer = (hp: Hyperparameters): tf.Optimizer => OPTIMIZERS[hp.optimizer](hp.learningRate);

class Runner {
  private readonly hp: Hyperparameters;
  private readonly path: TrainingPath;
  private readonly split;
  private optimizer: tf.Optimizer;
  private frozen: Set<string>;
  private trainFeatures: tf.Tensor2D | null = null;
  private valFeatures: tf.Tensor2D | null = null;
  private trainingBackend: string;
  private readonly microBatch: number;
  private readonly meter: ProgressMeter;

  constructor(
    private readonly options: FineTuneOptions,
    private readonly cut: CutModel,
    private readonly input: InputPipeline,
    private readonly backend: BackendInfo,
  ) {
    this.hp = options.hyperparameters;
    freezeBatchNormStatistics(cut.baseLayers);
    this.frozen = applyFreeze(cut.baseLayers, this.hp.freeze);
    this.path = options.featureCache === false ? "FULL" : trainingPathFor(this.hp);
    this.trainingBackend = backend.inferenceBackend;
    this.split = stratifiedSplit(
      options.dataset.labels,
      options.dataset.labelNames.length,
      this.hp.validationSplit,
      this.hp.seed,
      this.hp.maxSamples,
      this.hp.trainFraction,
    );
    if (this.split.train.length === 0) throw new IncompatibleDatasetError("no training samples after the split");
    this.optimizer = makeOptimizer(this.hp);
    this.microBatch = this.path === "FULL" ? microBatchSize(cut.child, this.hp.batchSize) : this.hp.batchSize;
    this.meter = new ProgressMeter(options.onProgress);
  }

  private get model(): tf.LayersModel {
    return this.path === "FEATURE_CACHE" ? this.cut.head : this.cut.child;
  }

  private compile() {
    this.model.compile({ optimizer: this.optimizer, loss: "categoricalCrossentropy", metrics: ["accuracy"] });
  }

  async run(): Promise<FineTuneResult> {
    const { hp, options } = this;
    let startEpoch = 1;
    let restored: RestoredState | undefined;
    if (options.resume) {
      restored = restoreCheckpoint(this.cut.child, options.resume.checkpoint);
      startEpoch = options.resume.completedEpochs + 1;
      for (const step of hp.unfreezeSchedule)
        if (step.epoch < startEpoch) this.frozen = unfreezeTop(this.cut.baseLayers, this.frozen, step.layers);
    } else if (options.initialWeights) {
      // Before the feature cache: the frozen backbone's features come from the fork's weights.
      const seed = restoreCheckpoint(this.cut.child, options.initialWeights);
      tf.dispose(seed.optimizerWeights?.map((w) => w.tensor) ?? []);
    }
    if (this.path === "FEATURE_CACHE" && startEpoch <= hp.epochs) await this.cacheFeatures();
    await tf.setBackend(this.trainingBackend);
    this.compile();
    if (restored?.optimizerWeights) {
      // Adam's step and moments as they were: the resumed epochs match an uninterrupted run.
      await this.optimizer.setWeights(restored.optimizerWeights);
      tf.dispose(restored.optimizerWeights.map((w) => w.tensor));
    }

    const earlyStopping = hp.earlyStopping ? new EarlyStopping(hp.earlyStopping) : null;
    if (earlyStopping && restored?.earlyStopping) earlyStopping.restore(restored.earlyStopping);
    let stoppedEarly = false;
    let epochsCompleted = Math.min(startEpoch - 1, hp.epochs);
    for (let epoch = startEpoch; epoch <= hp.epochs; epoch++) {
      let recompile = false;
      for (const step of hp.unfreezeSchedule)
        if (step.epoch === epoch) {
          this.frozen = unfreezeTop(this.cut.baseLayers, this.frozen, step.layers);
          recompile = true;
        }
      if (recompile) {
        // tfjs optimizers keep their moments by variable position: a new trainable set needs a new one.
        this.optimizer.dispose();
        this.optimizer = makeOptimizer(hp);
        this.compile();
      }
      const metrics = await this.epoch(epoch);
      epochsCompleted = epoch;
      // Updated before the checkpoint is taken, so the checkpoint holds this epoch's verdict.
      const stop = earlyStopping?.update(metrics) ?? false;
      await options.onEpoch?.(epoch, metrics, () =>
        encodeCheckpoint(this.cut.child, epoch, {
          optimizer: this.optimizer,
          earlyStopping: earlyStopping?.state ?? null,
        }),
      );
      if (stop) {
        stoppedEarly = epoch < hp.epochs;
        break;
      }
    }
    await tf.setBackend(this.backend.inferenceBackend);
    return {
      model: this.cut.child,
      trainingPath: this.path,
      featureLayer: this.cut.featureLayer,
      stoppedEarly,
      epochsCompleted,
      frozenLayerNames: this.cut.baseLayers.filter((l) => this.frozen.has(l.name)).map((l) => l.name),
      backend:
        this.trainingBackend === this.backend.inferenceBackend
          ? this.backend.backend
          : `${this.backend.backend} (gradients on ${this.trainingBackend})`,
    };
  }

  /**
   * The frozen backbone's features of every train and validation sample, on the fast
   * inference backend: read from the feature store where it has them, extracted otherwise
   * (and then stored).
   */
  private async cacheFeatures() {
    await tf.setBackend(this.backend.inferenceBackend);
    const { dataset, featureStore, preprocessing } = this.options;
    const key =
      featureStore && !isTextData(dataset) && !isTextPreprocessing(preprocessing)
        ? featureCacheKey({
            backbone: this.cut.backbone,
            data: dataset,
            preprocessing,
            backend: this.backend.inferenceBackend,
          })
        : null;
    const dims = (this.cut.backbone.outputs[0] as tf.SymbolicTensor).shape[1] as number;
    const wanted = Int32Array.from(new Set([...this.split.train, ...this.split.validation])).sort();
    let stored = key ? await featureStore?.read(key) : null;
    if (stored && stored.dims !== dims) stored = null;
    const have = new Set(stored?.indices);
    const missing = wanted.filter((i) => !have.has(i));
    const fresh = missing.length > 0 ? await this.extract(missing, dims) : new Float32Array(0);
    const extracted = { dims, indices: missing, features: fresh };
    const all = stored ? mergeFeatures(stored, extracted) : extracted;
    if (key && missing.length > 0) await featureStore?.write(key, all);
    const rowOf = new Map(Array.from(all.indices, (sample, row) => [sample, row]));
    const gather = (indices: Int32Array) => {
      const out = new Float32Array(indices.length * dims);
      for (let k = 0; k < indices.length; k++) {
        const row = rowOf.get(indices[k] as number) as number;
        out.set(all.features.subarray(row * dims, (row + 1) * dims), k * dims);
      }
      return tf.tensor2d(out, [indices.length, dims]);
    };
    this.trainFeatures = gather(this.split.train);
    this.valFeatures = this.split.validation.length > 0 ? gather(this.split.validation) : null;
  }

  /** One pass of the frozen backbone over the samples at `indices`: their features, row by row. */
  private async extract(indices: Int32Array, dims: number): Promise<Float32Array> {
    const batchSize = this.options.inferenceBatchSize ?? 32;
    this.meter.begin("EXTRACTING_FEATURES", indices.length);
    const out = new Float32Array(indices.length * dims);
    for (let start = 0; start < indices.length; start += batchSize) {
      throwIfAborted(this.options.signal);
      const x = this.input.batch(indices.subarray(start, start + batchSize));
      const features = this.cut.backbone.predict(x) as tf.Tensor;
      out.set(await features.data(), start * dims);
      tf.dispose([x, features]);
      this.meter.advance(Math.min(batchSize, indices.length - start));
      this.options.onBatch?.();
      await yieldToEventLoop();
    }
    return out;
  }

  private oneHot(indices: ArrayLike<number>): tf.Tensor2D {
    const labels = Int32Array.from(indices, (i) => this.options.dataset.labels[i] as number);
    return tf.tidy(
      () => tf.oneHot(tf.tensor1d(labels, "int32"), this.options.dataset.labelNames.length) as tf.Tensor2D,
    );
  }

  /** Inputs and one-hot targets for positions `positions` of the train or validation part. */
  private batch(part: "train" | "validation", positions: Int32Array): { x: tf.Tensor; y: tf.Tensor2D } {
    const indices = positions.map((p) => this.split[part][p] as number);
    const y = this.oneHot(indices);
    const cached = part === "train" ? this.trainFeatures : this.valFeatures;
    if (cached) return { x: tf.tidy(() => tf.gather(cached, tf.tensor1d(positions, "int32"))), y };
    return { x: this.input.batch(indices), y };
  }

  private async epoch(epoch: number): Promise<EpochMetrics> {
    const { hp, options } = this;
    const started = performance.now();
    const order = Int32Array.from({ length: this.split.train.length }, (_, i) => i);
    shuffleInPlace(order, seededRandom(hp.seed * 1000 + epoch));
    let lossSum = 0;
    let accSum = 0;
    const batches = Math.ceil(order.length / hp.batchSize);
    this.meter.begin("TRAINING", batches, { epoch, epochs: hp.epochs, after: (hp.epochs - epoch) * batches });
    for (let start = 0; start < order.length; start += hp.batchSize) {
      throwIfAborted(options.signal);
      const { x, y } = this.batch("train", order.subarray(start, start + hp.batchSize));
      try {
        const [loss, acc] = await this.trainOnBatch(x, y);
        lossSum += (loss as number) * (y.shape[0] as number);
        accSum += (acc as number) * (y.shape[0] as number);
      } finally {
        tf.dispose([x, y]);
      }
      this.meter.advance();
      options.onBatch?.();
      await yieldToEventLoop();
    }
    const trainMs = performance.now() - started;
    const validation = await this.validate(epoch);
    const durationMs = performance.now() - started;
    return {
      loss: lossSum / order.length,
      accuracy: accSum / order.length,
      valLoss: validation?.loss ?? null,
      valAccuracy: validation?.accuracy ?? null,
      learningRate: hp.learningRate,
      durationMs: Math.round(durationMs),
      samplesPerSecond: order.length / Math.max(trainMs / 1000, 1e-6),
      trainableParams: countTrainableParams(this.cut.child),
      frozenLayers: this.frozen.size,
    };
  }

  /**
   * Trains on the fast inference backend until a kernel it lacks is needed (WASM has no
   * conv filter gradients), then moves the rest of the run to the training backend. A
   * failed step throws before the optimizer writes, so the retry starts from equal weights.
   */
  private async trainOnBatch(x: tf.Tensor, y: tf.Tensor): Promise<[number, number]> {
    try {
      if (this.microBatch < (x.shape[0] as number))
        return accumulatedStep(this.model, this.optimizer, x, y, this.microBatch);
      return (await this.model.trainOnBatch(x, y)) as [number, number];
    } catch (error) {
      const missingKernel = error instanceof Error && /Kernel '.+' not registered for backend/.test(error.message);
      if (!missingKernel || this.trainingBackend === this.backend.trainingBackend) throw error;
      this.trainingBackend = this.backend.trainingBackend;
      await tf.setBackend(this.trainingBackend);
      return this.trainOnBatch(x, y);
    }
  }

  private async validate(epoch: number): Promise<{ loss: number; accuracy: number } | null> {
    const count = this.split.validation.length;
    if (count === 0) return null;
    const batchSize = this.options.inferenceBatchSize ?? 32;
    this.meter.begin("EVALUATING", count, { epoch, epochs: this.hp.epochs });
    let lossSum = 0;
    let correct = 0;
    for (let start = 0; start < count; start += batchSize) {
      throwIfAborted(this.options.signal);
      const positions = Int32Array.from({ length: Math.min(batchSize, count - start) }, (_, i) => start + i);
      const { x, y } = this.batch("validation", positions);
      const [loss, hits] = tf.tidy(() => {
        const p = this.model.predict(x) as tf.Tensor2D;
        return [tf.metrics.categoricalCrossentropy(y, p).sum(), tf.metrics.categoricalAccuracy(y, p).sum()];
      });
      lossSum += (await (loss as tf.Tensor).data())[0] as number;
      correct += (await (hits as tf.Tensor).data())[0] as number;
      tf.dispose([x, y, loss, hits]);
      this.meter.advance(positions.length);
      this.options.onBatch?.();
      await yieldToEventLoop();
    }
    return { loss: lossSum / count, accuracy: correct / count };
  }

  dispose() {
    tf.dispose([this.trainFeatures, this.valFeatures].filter((t) => t !== null));
    this.optimizer.dispose();
  }
}

/** Two sets of features of distinct samples as one, indices ascending. */
function mergeFeatures(a: StoredFeatures, b: StoredFeatures): StoredFeatures {
  const { dims } = a;
  const count = a.indices.length + b.indices.length;
  const order = Array.from({ length: count }, (_, k) => k).sort((x, y) => indexAt(a, b, x) - indexAt(a, b, y));
  const indices = new Int32Array(count);
  const features = new Float32Array(count * dims);
  for (const [row, k] of order.entries()) {
    const [from, at] = k < a.indices.length ? [a, k] : [b, k - a.indices.length];
    indices[row] = from.indices[at] as number;
    features.set(from.features.subarray(at * dims, (at + 1) * dims), row * dims);
  }
  return { dims, indices, features };
}

const indexAt = (a: StoredFeatures, b: StoredFeatures, k: number) =>
  (k < a.indices.length ? a.indices[k] : b.indices[k - a.indices.length]) as number;
