// The launcher's reaper: a detached process that outlives the launcher by design, only to
// make sure nothing else does. The launcher writes a line on its stdin per child. When that pipe closes — the launcher exited, however
// it died, SIGKILL included — the reaper sends SIGTERM to every group (`g <pid>` lines) and
// process (`p <pid>`), SIGKILL to what is left after the grace period, and exits. Plain JavaScript: it must start in milliseconds.
import { createInterface } from "node:readline";

const graceMs = Number(process.argv[2] ?? 10_000);
/** Negative ids address a process group. */
const targets = new Set();

const signal = (id, sig) => {
  try {
    process.kill(id, sig);
    return true;
  } catch {
    // ESRCH: the group is gone already.
    return false;
  }
};

createInterface({ input: process.stdin })
  .on("line", (line) => {
    const [kind, value] = line.trim().split(" ");
    const pid = Number(value);
    if (Number.isInteger(pid) && pid > 1) targets.add(kind === "g" ? -pid : pid);
  })
  .on("close", () => {
    const alive = [...targets].filter((id) => signal(id, "SIGTERM"));
    if (alive.length === 0) process.exit(0);
    const started = Date.now();
    const timer = setInterval(() => {
      const left = alive.filter((id) => signal(id, 0));
      if (left.length === 0 || Date.now() - started >= graceMs) {
        for (const id of left) signal(id, "SIGKILL");
        clearInterval(timer);
        process.exit(0);
      }
    }, 200);
  });
