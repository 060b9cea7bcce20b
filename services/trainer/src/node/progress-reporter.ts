import { PROGRESS_INTERVAL_MS, type RunProgress } from "@graft/contracts";

export interface ProgressReporter {
  /** Sends now if the interval since the last send has passed, else sends the newest report when it has. */
  report(progress: RunProgress): void;
  /** Sends nothing more: the attempt is reporting its end. */
  stop(): void;
}

/**
 * Bounds a job's progress events to one per interval without losing the newest: reports that
 * come sooner replace each other and the last one goes out at the interval's end, so a phase
 * that ends quickly still shows its last state.
 */
export function progressReporter(
  send: (progress: RunProgress) => void,
  intervalMs = PROGRESS_INTERVAL_MS,
): ProgressReporter {
  let lastSent = Number.NEGATIVE_INFINITY;
  let pending: RunProgress | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const flush = () => {
    timer = undefined;
    if (stopped || !pending) return;
    lastSent = Date.now();
    const progress = pending;
    pending = undefined;
    send(progress);
  };
  return {
    report(progress) {
      if (stopped) return;
      pending = progress;
      const wait = lastSent + intervalMs - Date.now();
      if (wait <= 0) flush();
      else timer ??= setTimeout(flush, wait);
    },
    stop() {
      stopped = true;
      pending = undefined;
      clearTimeout(timer);
    },
  };
}
