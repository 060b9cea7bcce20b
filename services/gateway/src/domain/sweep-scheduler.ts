import { type RunUpdate, TERMINAL_RUN_STATUSES } from "@graft/contracts";
import { projectScope, sweeps, sweepTrials } from "@graft/db";
import { eq, inArray } from "drizzle-orm";
import { RunCommands } from "./commands/runs.ts";
import type { DomainDeps } from "./deps.ts";
import { ConflictError } from "./errors.ts";
import { RunQueries } from "./runs.ts";
import { advanceSweep, type SweepAdvance } from "./sweep-ledger.ts";

/** Run commands on behalf of a sweep's project (the scheduler acts for no request). */
function runCommandsOf(deps: DomainDeps, projectId: string): RunCommands {
  const scope = projectScope(projectId);
  return new RunCommands(deps, scope, { runs: new RunQueries(deps.db, scope) });
}

/**
 * One pass over a sweep (`advanceSweep`, under its row lock), then what it decided, after
 * commit: cancels for the trials ASHA stopped (reason on the control message and the run's
 * error), jobs for the trials it launched (written to the outbox in the pass's transaction,
 * published now; a job that cannot go out now goes out later, or its run fails
 * DISPATCH_FAILED and counts as a done trial).
 */
export async function advanceAndAct(deps: DomainDeps, sweepId: string): Promise<SweepAdvance | null> {
  const step = await advanceSweep(deps.db, sweepId);
  if (!step) return null;
  const commands = runCommandsOf(deps, step.sweep.projectId);
  for (const s of step.stopped) {
    deps.log(`sweep ${sweepId}: trial ${s.trial + 1} (run ${s.runId}) ${s.message}`);
    await commands.cancel(s.runId, s.message).catch((error: unknown) => {
      // Ended in between (succeeded, failed): nothing left to stop.
      if (!(error instanceof ConflictError)) deps.log(`sweep ${sweepId}: cancelling ${s.runId}: ${String(error)}`);
    });
  }
  if (step.launched.length > 0) {
    deps.log(`sweep ${sweepId}: launching ${step.launched.map((r) => r.name).join(", ")}`);
    await deps.jobs.publishNow(step.jobs);
    // Not awaited: the notice waits for NATS, and the runs are stored whether or not NATS is there.
    for (const run of step.launched)
      void Promise.resolve(deps.events?.publishRunUpdate(run.id)).catch((error: unknown) =>
        deps.log(`sweep ${sweepId}: could not announce run ${run.id}: ${String(error)}`),
      );
  }
  if (step.sweep.status !== "RUNNING" && step.changed) deps.log(`sweep ${sweepId}: ${step.sweep.status}`);
  // Every pass follows a stored epoch or end of a trial (or a launch): subscribers re-read.
  if (step.changed || step.sweep.status === "RUNNING") deps.events?.publishSweepUpdate(sweepId, step.sweep.status);
  return step;
}

/**
 * Drives every running sweep: after each stored batch of run events (an epoch may reach a
 * rung, an ended run frees a slot) and on a timer (a missed notice, another replica's
 * events, a restart, a trial cancelled by hand). Each replica runs one; passes over the same
 * sweep serialize on its row lock, and within a replica on one queue.
 */
export class SweepScheduler {
  private queue: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly deps: DomainDeps,
    /** How often every running sweep is looked at without a notice. @default 5_000 */
    private readonly everyMs = 5_000,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.enqueue(() => this.tick()), this.everyMs);
    this.timer.unref();
    this.enqueue(() => this.tick());
  }

  /** Stored run events (from ingest): epochs and ends of sweep trials advance their sweeps. */
  onRunUpdates(updates: readonly RunUpdate[]): void {
    const runIds = [
      ...new Set(updates.filter((u) => u.kind === "EPOCH" || TERMINAL_RUN_STATUSES.has(u.status)).map((u) => u.runId)),
    ];
    if (runIds.length === 0) return;
    this.enqueue(async () => {
      const rows = await this.deps.db
        .selectDistinct({ sweepId: sweepTrials.sweepId })
        .from(sweepTrials)
        .where(inArray(sweepTrials.runId, runIds));
      for (const { sweepId } of rows) await advanceAndAct(this.deps, sweepId);
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.queue;
  }

  private async tick(): Promise<void> {
    const running = await this.deps.db.select({ id: sweeps.id }).from(sweeps).where(eq(sweeps.status, "RUNNING"));
    for (const { id } of running) await advanceAndAct(this.deps, id);
  }

  private enqueue(work: () => Promise<void>): void {
    if (this.stopped) return;
    this.queue = this.queue
      .then(() => (this.stopped ? undefined : work()))
      .catch((error: unknown) => this.deps.log(`sweeps: ${String(error)}`));
  }
}
