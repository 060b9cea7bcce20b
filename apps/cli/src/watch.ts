import {
  type EpochMetrics,
  type GraftClient,
  isTerminal,
  type ProgressFieldsFragment,
  type RunDetail,
  RunStatus,
} from "@graft/client";
import { RunEndedBadlyError } from "./errors.ts";
import { duration, fixed, paint, printJsonLine, progressBar, status } from "./output.ts";

export interface WatchOptions {
  json: boolean;
  /** Safety net for a missed subscription event: the run is re-read this often. @default 3000 */
  pollMs?: number;
}

type Update = {
  status?: RunStatus;
  epoch?: EpochMetrics;
  message?: string | null;
  progress?: ProgressFieldsFragment | null;
};

const PHASE_LABELS: Record<ProgressFieldsFragment["phase"], string> = {
  DOWNLOADING: "downloading",
  PREPROCESSING: "preprocessing",
  EXTRACTING_FEATURES: "extracting features",
  TRAINING: "training",
  EVALUATING: "evaluating",
};

/** "training epoch 2/5 [#####---] 120/600 ETA 1m05s" */
export function progressLine(p: ProgressFieldsFragment): string {
  const epoch = p.epoch !== null && p.epochs !== null ? ` epoch ${p.epoch}/${p.epochs}` : "";
  const counts = p.total > 0 ? ` ${progressBar(p.done, p.total)} ${p.done}/${p.total}` : "";
  const eta = p.etaSeconds !== null ? ` ETA ${duration(p.etaSeconds)}` : "";
  return `${PHASE_LABELS[p.phase]}${epoch}${counts}${eta}`;
}

/**
 * Follows a run to its end: live events over graphql-ws, plus a periodic read of the run so a
 * dropped socket or an event published before the subscription began cannot stall the watch.
 * Resolves with the final run; throws RunEndedBadlyError when it FAILED or was CANCELLED.
 */
export async function watchRun(client: GraftClient, runId: string, options: WatchOptions): Promise<RunDetail> {
  const out = process.stdout;
  const tty = Boolean(out.isTTY) && !options.json;
  const seen = new Map<number, EpochMetrics>();
  let current: RunStatus = RunStatus.Queued;
  let totalEpochs = 0;
  let barShown = false;
  let lastProgressAt: string | undefined;

  const emit = (update: Update) => {
    // Progress is live only: shown while the run works, once per report (poll and socket both carry it).
    const p = update.progress;
    if (p && p.updatedAt !== lastProgressAt && !isTerminal(current)) {
      lastProgressAt = p.updatedAt;
      if (options.json) printJsonLine({ type: "progress", runId, ...p });
      else if (tty) {
        out.write(`\r\u001b[2K${progressLine(p)}`);
        barShown = true;
      }
    }
    if (update.epoch && !seen.has(update.epoch.epoch)) {
      seen.set(update.epoch.epoch, update.epoch);
      if (options.json) printJsonLine({ type: "epoch", runId, ...update.epoch });
      else {
        const e = update.epoch;
        const line = `epoch ${e.epoch}/${totalEpochs} ${progressBar(seen.size, totalEpochs)} loss ${fixed(e.loss)} acc ${fixed(e.accuracy)} val_loss ${fixed(e.valLoss)} val_acc ${fixed(e.valAccuracy)} ${Math.round(e.samplesPerSecond)} samples/s`;
        // On a terminal the epoch line replaces the progress line and stays; the next progress redraws below it.
        out.write(tty ? `\r\u001b[2K${line}\n` : `${line}\n`);
        barShown = false;
      }
    }
    if (update.status && update.status !== current) {
      current = update.status;
      if (options.json) printJsonLine({ type: "status", runId, status: current, message: update.message ?? null });
      else {
        if (barShown) out.write("\r\u001b[2K"); // the progress line is over
        barShown = false;
        out.write(
          `${paint("run", "gray")} ${runId} ${status(current)}${update.message ? `: ${update.message}` : ""}\n`,
        );
      }
    }
  };

  const absorb = (run: RunDetail) => {
    totalEpochs = run.hyperparameters.epochs;
    for (const epoch of [...(run.epochs ?? [])].sort((a, b) => a.epoch - b.epoch)) emit({ epoch });
    emit({ status: run.status, message: run.error?.message });
    emit({ progress: run.progress });
  };

  const read = async () => {
    const run = await client.run(runId);
    if (!run) throw new RunEndedBadlyError(runId, "MISSING", "the run no longer exists");
    return run;
  };

  const abort = new AbortController();
  const done = new Promise<void>((resolve, reject) => {
    const timer = setInterval(() => {
      read()
        .then((run) => {
          absorb(run);
          if (isTerminal(run.status)) resolve();
        })
        .catch(reject);
    }, options.pollMs ?? 3000);
    abort.signal.addEventListener("abort", () => clearInterval(timer), { once: true });
  });
  // A poll still in flight when the watch ends must not surface as an unhandled rejection.
  done.catch(() => {});

  const live = (async () => {
    try {
      for await (const event of client.runEvents(runId, abort.signal)) {
        if (event.epoch) emit({ epoch: event.epoch });
        if (event.progress) emit({ progress: event.progress });
        if (event.kind === "STATUS" && !isTerminal(event.status))
          emit({ status: event.status, message: event.message });
        // A terminal event is confirmed by re-reading the run, which also carries its output model.
        if (isTerminal(event.status)) return;
      }
    } catch {
      // the poll keeps the watch going without the socket
      await done;
    }
  })();

  try {
    absorb(await read());
    if (!isTerminal(current)) await Promise.race([live, done]);
  } finally {
    abort.abort();
  }
  const final = await read();
  absorb(final);
  if (final.status !== RunStatus.Succeeded) throw new RunEndedBadlyError(runId, final.status, final.error?.message);
  return final;
}
