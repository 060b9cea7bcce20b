import type { RunProgress } from "@graft/contracts";

/** What the engine reports: the contract's progress (phase, done/total, epoch, ETA). */
export type ProgressReport = RunProgress;
export type ProgressListener = (report: ProgressReport) => void;

interface Phase {
  phase: ProgressReport["phase"];
  total: number;
  epoch: number | null;
  epochs: number | null;
  /** Units of later work expected at this phase's rate (later epochs' batches), counted into the ETA. */
  after: number;
  startedAt: number;
  done: number;
}

/**
 * Measures the engine's phases and reports them to a listener: every phase's start, then at
 * most one report per `intervalMs` while it advances. The ETA is the phase's own rate so far
 * times what is left; a phase with nothing done yet has none. The clock is injectable so
 * tests can drive it.
 */
export class ProgressMeter {
  #current: Phase | undefined;
  #lastReport = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly listener: ProgressListener | undefined,
    /** @default 250 (the trainer's main thread publishes at most once a second; this only bounds thread messages) */
    private readonly intervalMs = 250,
    private readonly now: () => number = () => performance.now(),
  ) {}

  begin(
    phase: ProgressReport["phase"],
    total: number,
    options: { epoch?: number; epochs?: number; after?: number } = {},
  ): void {
    if (!this.listener) return;
    this.#current = {
      phase,
      total,
      epoch: options.epoch ?? null,
      epochs: options.epochs ?? null,
      after: options.after ?? 0,
      startedAt: this.now(),
      done: 0,
    };
    this.#report();
  }

  /** `units` more of the current phase are done. */
  advance(units = 1): void {
    const current = this.#current;
    if (!current) return;
    current.done += units;
    if (this.now() - this.#lastReport >= this.intervalMs || current.done >= current.total) this.#report();
  }

  #report(): void {
    const c = this.#current;
    if (!c || !this.listener) return;
    this.#lastReport = this.now();
    const elapsedSeconds = (this.#lastReport - c.startedAt) / 1000;
    const left = Math.max(0, c.total - c.done) + c.after;
    const etaSeconds = c.done > 0 && c.total > 0 ? (elapsedSeconds / c.done) * left : null;
    this.listener({
      phase: c.phase,
      done: Math.min(c.done, c.total === 0 ? c.done : c.total),
      total: c.total,
      epoch: c.epoch,
      epochs: c.epochs,
      etaSeconds: etaSeconds === null ? null : Math.round(etaSeconds * 10) / 10,
    });
  }
}
