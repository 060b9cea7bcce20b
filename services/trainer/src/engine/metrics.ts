import { type Hyperparameters, higherIsBetter, type MetricName } from "@graft/contracts";

/** What early stopping remembers between epochs (kept in checkpoints for an exact resume). */
export interface EarlyStoppingState {
  best: number | null;
  wait: number;
}

/** Keras-style early stopping: stop after `patience` epochs without a `minDelta` improvement. */
export class EarlyStopping {
  private best: number | null = null;
  private wait = 0;
  constructor(private readonly config: NonNullable<Hyperparameters["earlyStopping"]>) {}

  get state(): EarlyStoppingState {
    return { best: this.best, wait: this.wait };
  }

  restore(state: EarlyStoppingState) {
    this.best = state.best;
    this.wait = state.wait;
  }

  /** Records an epoch's metrics; true when training should stop now. */
  update(metrics: Record<MetricName, number | null>): boolean {
    const value = metrics[this.config.monitor];
    if (value === null || !Number.isFinite(value)) return false;
    const improved =
      this.best === null ||
      (higherIsBetter(this.config.monitor)
        ? value - this.best > this.config.minDelta
        : this.best - value > this.config.minDelta);
    if (improved) {
      this.best = value;
      this.wait = 0;
      return false;
    }
    this.wait++;
    return this.wait >= this.config.patience;
  }
}
