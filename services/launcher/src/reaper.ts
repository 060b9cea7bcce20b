import { spawn } from "node:child_process";

/**
 * Starts the reaper (reaper.mjs): children never outlive the launcher, even one killed with
 * SIGKILL, which runs no handler. The reaper leads its own process group, so a signal to the
 * launcher's group does not take it along before it has done its work.
 */
export function startReaper(graceMs = 10_000) {
  const reaper = spawn(process.execPath, [new URL("./reaper.mjs", import.meta.url).pathname, String(graceMs)], {
    stdio: ["pipe", "ignore", "ignore"],
    detached: true,
  });
  // Neither the process nor its pipe may keep the launcher running.
  reaper.unref();
  (reaper.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  const write = (line: string) => {
    if (reaper.stdin?.writable) reaper.stdin.write(`${line}\n`);
  };
  return {
    /** A child that leads its own process group: the whole group goes. */
    trackGroup: (pid: number) => write(`g ${pid}`),
    /** A child in the launcher's group (nats-server): that process goes. */
    trackProcess: (pid: number) => write(`p ${pid}`),
    /** After a clean stop: nothing is left to reap. */
    close: () => reaper.stdin?.end(),
  };
}

export type Reaper = ReturnType<typeof startReaper>;
