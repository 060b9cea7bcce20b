import { execFileSync } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "@graft/natsd";

const BIN = "/usr/lib/postgresql/15/bin";

/**
 * A PostgreSQL server of one test's own (initdb on a temp dir, its own port), so a test may
 * stop and start it without touching the machine's shared cluster that other suites use.
 */
export interface PrivatePostgres {
  databaseUrl: string;
  stop(): void;
  start(): void;
  /** Stops the server and removes its files. */
  remove(): void;
}

/** Why a private PostgreSQL cannot run here, or undefined when it can. */
export function privatePostgresUnavailable(): string | undefined {
  if (!existsSync(join(BIN, "initdb"))) return `no PostgreSQL 15 binaries in ${BIN}`;
  if (process.getuid?.() === 0 && !uidOf("postgres")) return "running as root without a postgres user for initdb";
  return undefined;
}

function uidOf(user: string): number | undefined {
  try {
    return Number(execFileSync("id", ["-u", user], { encoding: "utf8" }).trim());
  } catch {
    return undefined;
  }
}

// Directories are named graft-pg-<pid>-<random>: a test run killed before its after() hook
// leaves a server running, and the next run stops it once that pid is gone.
const PREFIX = "graft-pg-";

function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function removeLeftovers(run: (bin: string, args: string[]) => void) {
  for (const name of readdirSync(tmpdir())) {
    const pid = Number(/^graft-pg-(\d+)-/.exec(name)?.[1]);
    if (!pid || processIsAlive(pid)) continue;
    const dir = join(tmpdir(), name);
    try {
      run("pg_ctl", ["-D", join(dir, "data"), "-m", "immediate", "-w", "stop"]);
    } catch {
      // not running
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const reason = privatePostgresUnavailable();
  if (reason) throw new Error(`cannot start a private PostgreSQL: ${reason}`);
  // initdb refuses to run as root: run the server as the postgres user then.
  const asRoot = process.getuid?.() === 0;
  const run = (bin: string, args: string[]) =>
    asRoot
      ? execFileSync("runuser", ["-u", "postgres", "--", join(BIN, bin), ...args], { stdio: "pipe" })
      : execFileSync(join(BIN, bin), args, { stdio: "pipe" });
  removeLeftovers(run);
  const dir = mkdtempSync(join(tmpdir(), `${PREFIX}${process.pid}-`));
  if (asRoot) {
    const uid = uidOf("postgres") as number;
    chownSync(dir, uid, uid);
    chmodSync(dir, 0o700);
  }
  const data = join(dir, "data");
  run("initdb", ["-D", data, "-A", "trust", "-U", "postgres", "--no-sync"]);
  const port = await freePort();
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`;
  const start = () => run("pg_ctl", ["-D", data, "-o", options, "-l", join(dir, "log"), "-w", "start"]);
  const stop = () => run("pg_ctl", ["-D", data, "-m", "fast", "-w", "stop"]);
  start();
  let running = true;
  return {
    databaseUrl: `postgres://postgres@127.0.0.1:${port}/postgres`,
    stop() {
      stop();
      running = false;
    },
    start() {
      start();
      running = true;
    },
    remove() {
      if (running) stop();
      running = false;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
