import type { JsMsg } from "@nats-io/jetstream";

/**
 * Holds a job against JetStream's ack wait: an in-progress ack at least every third of it
 * from a timer, plus `touch()` (called per training batch) which sends one early when due.
 * The timer alone is not enough if a long synchronous stretch starves it; the per-batch
 * touch is not enough while loading; together they keep the job ours.
 */
export function keepJobAlive(msg: JsMsg, ackWaitMs: number) {
  const every = Math.max(250, Math.floor(ackWaitMs / 3));
  let last = Date.now();
  const send = () => {
    last = Date.now();
    try {
      msg.working();
    } catch {
      // Connection closing: nothing to hold any more.
    }
  };
  const timer = setInterval(send, every);
  return {
    touch() {
      if (Date.now() - last >= every / 2) send();
    },
    stop() {
      clearInterval(timer);
    },
  };
}
