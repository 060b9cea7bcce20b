import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";

export interface ChildSpec {
  /** Prefix of forwarded log lines, e.g. "gateway". */
  name: string;
  command: string;
  args: string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

export class ChildFailedError extends Error {
  override name = "ChildFailedError";
}

/** A supervised child: its output is forwarded line by line with a prefix, and watched for patterns. */
export class Child {
  readonly spec: ChildSpec;
  readonly process: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  #lines: string[] = [];
  #waiters = new Set<(line: string) => void>();

  constructor(spec: ChildSpec, log: (line: string) => void) {
    this.spec = spec;
    // Own process group, so Ctrl-C in the terminal reaches only the launcher, which then stops
    // the children in order instead of all at once.
    this.process = spawn(spec.command, spec.args, {
      cwd: spec.cwd,
      env: spec.env,
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    this.exited = new Promise((resolve) => this.process.once("exit", (code, signal) => resolve({ code, signal })));
    for (const stream of [this.process.stdout, this.process.stderr]) {
      if (!stream) continue;
      createInterface({ input: stream }).on("line", (line) => {
        this.#lines.push(line);
        if (this.#lines.length > 200) this.#lines.shift();
        log(`[${spec.name}] ${line}`);
        for (const waiter of this.#waiters) waiter(line);
      });
    }
  }

  get running(): boolean {
    return this.process.exitCode === null && this.process.signalCode === null;
  }

  /** Resolves with the first group of `pattern` in an output line (past or future). */
  waitFor(pattern: RegExp, timeoutMs: number): Promise<string> {
    const match = (line: string) => pattern.exec(line)?.[1];
    for (const line of this.#lines) {
      const m = match(line);
      if (m !== undefined) return Promise.resolve(m);
    }
    return new Promise((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        this.#waiters.delete(waiter);
      };
      const waiter = (line: string) => {
        const m = match(line);
        if (m !== undefined) {
          done();
          resolve(m);
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(
          new ChildFailedError(`${this.spec.name} printed nothing matching ${pattern} within ${timeoutMs / 1000} s`),
        );
      }, timeoutMs);
      this.#waiters.add(waiter);
      void this.exited.then(({ code, signal }) => {
        if (!this.#waiters.has(waiter)) return;
        done();
        reject(
          new ChildFailedError(
            `${this.spec.name} exited (${signal ?? code}) before printing ${pattern}:\n${this.#lines.slice(-20).join("\n")}`,
          ),
        );
      });
    });
  }

  /**
   * SIGTERM, then SIGKILL after `graceMs` (generous: a killed gateway may leave PGlite
   * mid-write), to the child's whole process group: the dashboard's own workers go too.
   */
  async stop(graceMs = 20_000): Promise<void> {
    if (!this.running) return;
    this.#signalGroup("SIGTERM");
    const timer = setTimeout(() => this.#signalGroup("SIGKILL"), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  #signalGroup(signal: NodeJS.Signals) {
    try {
      if (this.process.pid !== undefined) process.kill(-this.process.pid, signal);
    } catch {
      this.process.kill(signal);
    }
  }
}
