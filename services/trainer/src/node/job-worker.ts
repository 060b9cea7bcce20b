import { JOBS_STREAM, jobsConsumerName } from "@graft/contracts";
import type { JsMsg } from "@nats-io/jetstream";
import { type JobDeps, type JobHandle, startJob } from "./run-job.ts";

export interface JobWorkerOptions extends JobDeps {
  pool: string;
  maxConcurrentRuns: number;
  /** Called when the set of held jobs changes (for an immediate heartbeat). */
  onChange?: () => void;
}

/** How long one pull waits for a job; short, so drain and stop take effect quickly. */
const PULL_EXPIRES_MS = 2_000;

/**
 * Pulls jobs from the pool's durable consumer, never holding more than maxConcurrentRuns.
 * One pull is outstanding at a time and only while a slot is free, so a busy trainer never
 * sits on a job another trainer could run.
 */
export function startJobWorker(options: JobWorkerOptions) {
  const active = new Map<number, JobHandle>();
  let draining = false;
  let stopping = false;
  let wake: () => void = () => {};
  const changed = () => {
    wake();
    options.onChange?.();
  };

  const loop = (async () => {
    const consumer = await options.js.consumers.get(JOBS_STREAM, jobsConsumerName(options.pool));
    while (!stopping) {
      if (draining || active.size >= options.maxConcurrentRuns) {
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        continue;
      }
      let msg: JsMsg | null;
      try {
        msg = await consumer.next({ expires: PULL_EXPIRES_MS });
      } catch (error) {
        if (stopping) break;
        options.log(`pulling jobs failed: ${(error as Error).message}; retrying`);
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        continue;
      }
      if (!msg) continue;
      if (stopping || draining) {
        // Arrived while the pull was open: give it straight back.
        msg.nak();
        continue;
      }
      const handle = startJob(msg, options);
      active.set(handle.seq, handle);
      changed();
      void handle.done.finally(() => {
        active.delete(handle.seq);
        changed();
      });
    }
  })();

  return {
    get draining() {
      return draining;
    },
    currentRuns(): string[] {
      return [...active.values()].flatMap((job) => (job.runId ? [job.runId] : []));
    },
    busy(): boolean {
      return active.size > 0;
    },
    setDraining(value: boolean) {
      draining = value;
      changed();
    },
    /** Stops pulling, hands running jobs back at their next epoch boundary (or lets a last epoch finish), waits for them. */
    async stop(): Promise<void> {
      stopping = true;
      wake();
      for (const job of active.values()) job.handBack();
      await loop.catch((error: unknown) => options.log(`job loop ended with ${(error as Error).message}`));
      await Promise.all([...active.values()].map((job) => job.done));
    },
    /** Ends every running job's training now and hands it back (see JobHandle.terminate). */
    async terminate(): Promise<void> {
      stopping = true;
      wake();
      await Promise.all([...active.values()].map((job) => job.terminate()));
    },
    /** Resolves when the pull loop ends (after stop, or if the consumer could not be opened). */
    loop,
  };
}

export type JobWorker = ReturnType<typeof startJobWorker>;
