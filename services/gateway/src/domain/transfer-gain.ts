/**
 * What pre-training bought a run, from the stored epochs of the run and its control arms
 * (same dataset, split and seed): accuracy against the same architecture trained from
 * scratch at equal epochs, how much sooner (in epochs and seconds) it reached a target
 * accuracy, and how far it is above a linear probe of the frozen base. Pure: the domain
 * reads the epochs, this only compares them.
 */

export interface GainEpoch {
  epoch: number;
  /** The compared accuracy (validation accuracy by default); null when not measured. */
  accuracy: number | null;
  durationMs: number;
}

/** An arm's epochs, or null while it has not finished (or was not asked for). */
export interface GainArms {
  run: readonly GainEpoch[] | null;
  scratch: readonly GainEpoch[] | null;
  linearProbe: readonly GainEpoch[] | null;
}

export interface EpochGain {
  epoch: number;
  run: number;
  scratch: number;
  /** run - scratch */
  difference: number;
}

export interface ArmToTarget {
  /** First epoch whose accuracy reached the target; null if none did. */
  epochs: number | null;
  /**
   * Seconds up to and including that epoch, summed from the stored epoch durations (a frozen
   * run's feature extraction, before its first epoch, is not among them).
   */
  seconds: number | null;
}

export interface TransferGain {
  targetAccuracy: number | null;
  /** Per epoch both the run and scratch have, in order. */
  perEpoch: EpochGain[];
  /** The last epoch both have; null without a finished scratch arm. */
  finalEpoch: number | null;
  /** run - scratch at finalEpoch. */
  finalDifference: number | null;
  run: ArmToTarget;
  scratch: ArmToTarget;
  /** scratch epochs to target / run epochs to target; null unless both reached it. */
  epochSpeedup: number | null;
  /** scratch seconds to target / run seconds to target; null unless both reached it. */
  timeSpeedup: number | null;
  /** run - linear probe at the last epoch both have. */
  linearProbeGap: number | null;
  /** Epoch at which linearProbeGap is measured. */
  linearProbeEpoch: number | null;
}

/** Default target: this share of the best accuracy any finished arm reached. */
export const DEFAULT_TARGET_SHARE = 0.9;

const measured = (epochs: readonly GainEpoch[] | null): GainEpoch[] =>
  (epochs ?? []).filter((e) => e.accuracy !== null && Number.isFinite(e.accuracy));

export function toTarget(epochs: readonly GainEpoch[] | null, target: number | null): ArmToTarget {
  if (!epochs || target === null) return { epochs: null, seconds: null };
  let ms = 0;
  for (const e of [...epochs].sort((a, b) => a.epoch - b.epoch)) {
    ms += e.durationMs;
    if (e.accuracy !== null && e.accuracy >= target) return { epochs: e.epoch, seconds: ms / 1000 };
  }
  return { epochs: null, seconds: null };
}

/** a - b at the last epoch both measured. */
function gapAtLastCommonEpoch(a: GainEpoch[], b: GainEpoch[]): { epoch: number; gap: number } | null {
  const byEpoch = new Map(b.map((e) => [e.epoch, e.accuracy as number]));
  const common = a.filter((e) => byEpoch.has(e.epoch)).sort((x, y) => x.epoch - y.epoch);
  const last = common.at(-1);
  return last ? { epoch: last.epoch, gap: (last.accuracy as number) - (byEpoch.get(last.epoch) as number) } : null;
}

const ratio = (slow: number | null, fast: number | null) =>
  slow !== null && fast !== null && fast > 0 ? slow / fast : null;

/**
 * @param targetAccuracy reach this accuracy; @default 0.9 x the best accuracy of any finished arm
 */
export function transferGain(arms: GainArms, targetAccuracy?: number | null): TransferGain {
  const run = measured(arms.run);
  const scratch = arms.scratch ? measured(arms.scratch) : null;
  const probe = arms.linearProbe ? measured(arms.linearProbe) : null;
  const all = [run, scratch ?? [], probe ?? []].flat();
  const best = all.length > 0 ? Math.max(...all.map((e) => e.accuracy as number)) : null;
  const target = targetAccuracy ?? (best === null ? null : DEFAULT_TARGET_SHARE * best);

  const scratchByEpoch = new Map((scratch ?? []).map((e) => [e.epoch, e.accuracy as number]));
  const perEpoch = arms.run
    ? run
        .filter((e) => scratchByEpoch.has(e.epoch))
        .sort((a, b) => a.epoch - b.epoch)
        .map((e) => {
          const s = scratchByEpoch.get(e.epoch) as number;
          return { epoch: e.epoch, run: e.accuracy as number, scratch: s, difference: (e.accuracy as number) - s };
        })
    : [];
  const last = perEpoch.at(-1);
  // Every epoch's time counts toward the target, measured or not.
  const runToTarget = toTarget(arms.run, target);
  const scratchToTarget = toTarget(arms.scratch, target);
  const probeGap = arms.run && probe ? gapAtLastCommonEpoch(run, probe) : null;
  return {
    targetAccuracy: target,
    perEpoch,
    finalEpoch: last?.epoch ?? null,
    finalDifference: last?.difference ?? null,
    run: runToTarget,
    scratch: scratchToTarget,
    epochSpeedup: ratio(scratchToTarget.epochs, runToTarget.epochs),
    timeSpeedup: ratio(scratchToTarget.seconds, runToTarget.seconds),
    linearProbeGap: probeGap?.gap ?? null,
    linearProbeEpoch: probeGap?.epoch ?? null,
  };
}
