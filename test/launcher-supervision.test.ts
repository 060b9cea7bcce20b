// The launcher supervises its children: a crashed trainer is restarted with backoff, and no
// child outlives the launcher, even one killed with SIGKILL (which runs no handler).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { waitFor } from "@graft/testkit";
import { type LauncherProcess, startLauncher } from "./support/launcher.ts";

const home = mkdtempSync(join(tmpdir(), "graft-home-"));
let running: LauncherProcess | undefined;

after(async () => {
  await running?.interrupt();
  rmSync(home, { recursive: true, force: true });
});

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Pids the launcher printed for `name`, in start order. */
const startedPids = (output: string, name: string) =>
  [...output.matchAll(new RegExp(`\\[launcher\\] ${name} started \\(pid (\\d+)\\)`, "g"))].map((m) => Number(m[1]));

test("restarts a killed trainer, and a SIGKILLed launcher leaves no child behind", async () => {
  running = startLauncher({
    GRAFT_HOME: home,
    GRAFT_WEB: "0",
    GRAFT_TRAINERS: "1",
    GATEWAY_PORT: "0",
    NATS_PORT: "0",
    NATS_URL: undefined,
    DATABASE_URL: undefined,
  });
  const launcher = running;
  await launcher.waitFor(/Graft is up/);
  await launcher.waitFor(/\[trainer-1\] Trainer local-1 \(.+\) on backend/);
  const [trainerPid] = startedPids(launcher.output(), "trainer-1");
  assert.ok(trainerPid && alive(trainerPid), launcher.output());

  process.kill(trainerPid, "SIGKILL");
  await launcher.waitFor(/\[launcher\] restarting trainer-1 in \d+ s \(restart 1\)/, 60_000);
  const restarted = await waitFor(
    "trainer-1 to start again",
    async () => startedPids(launcher.output(), "trainer-1")[1],
    {
      timeoutMs: 60_000,
    },
  );
  assert.notEqual(restarted, trainerPid);
  await waitFor(
    "the restarted trainer to register",
    async () => (launcher.output().match(/\[trainer-1\] Trainer local-1 \(.+\) on backend/g) ?? []).length >= 2,
    { timeoutMs: 120_000 },
  );

  const children = [...startedPids(launcher.output(), "gateway"), restarted];
  assert.ok(children.every(alive), launcher.output());
  launcher.child.kill("SIGKILL");
  // The reaper sends SIGTERM, then SIGKILL after its grace: generous for a loaded machine.
  await waitFor(
    "every child of the killed launcher to be gone",
    async () => !children.some(alive) && spawnSync("pgrep", ["-f", home], { encoding: "utf8" }).stdout.trim() === "",
    { timeoutMs: 30_000, intervalMs: 250 },
  );
  running = undefined;
});
