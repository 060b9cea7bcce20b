import type { JsMsg } from "@nats-io/jetstream";

/**
 * Holds a job against JetStream's ack wait: an in-progress ack at least every third of it
 * from a timer, plus `touch()` (called per training batch) which sends one early when due.
 * The timer alone is not enough if a long synchronous stretch starves it; the per-batch
 * touch is not enough while loading; together they keep the job ours.
 *
 * `mayHaveLost()` says the process went silent longer than the ack wait (SIGSTOP, a suspended
 * VM): JetStream may have handed the job to another trainer meanwhile, and an ack, NAK or
 * TERM sent now for our old delivery would act on theirs (the server accepts it). Such a job
 * is left to JetStream: its ack wait redelivers it if nobody else holds it.
 */
export function keepJobAlive(msg: JsMsg, ackWaitMs: number) {
  const every = Math.max(250, Math.floor(ackWaitMs / 3));
  let last = Date.now();
  let lastTick = Date.now();
  let silentTooLong = false;
  const send = () => {
    last = Date.now();
    try {
      msg.working();
    } catch {
      // Connection closing: nothing to hold any more.
    }
  };
  // The process, not only the event loop, may stop: a gap between ticks longer than the ack wait is one.
  const noteGap = () => {
    const now = Date.now();
    if (now - lastTick > ackWaitMs) silentTooLong = true;
    lastTick = now;
  };
  const timer = setInterval(() => {
    noteGap();
    send();
  }, every);
  return {
    touch() {
      if (Date.now() - last >= every / 2) send();
    },
    mayHaveLost: () => {
      noteGap();
      return silentTooLong;
    },
    stop() {
      clearInterval(timer);
    },
  };
}
