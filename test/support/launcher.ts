import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

export interface LauncherProcess {
  child: ChildProcess;
  output(): string;
  /** The first group of `pattern` in the output, waiting up to `timeoutMs`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Ctrl-C: resolves with the exit code once every child has stopped. */
  interrupt(timeoutMs?: number): Promise<number>;
}

/** `npm start` as a process (the same entry point), with `env` on top of this process's. */
export function startLauncher(env: Record<string, string | undefined>): LauncherProcess {
  const child = spawn(process.execPath, ["--import", "tsx", "services/launcher/src/main.ts"], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    output += chunk.toString();
    if (process.env.GRAFT_TEST_ECHO === "1") process.stderr.write(`[launcher-test] ${chunk}`);
    for (const listener of listeners) listener();
  };
  child.stdout?.on("data", onData);
  child.stderr?.on("data", onData);
  const exited = new Promise<number>((resolve) =>
    child.once("exit", (code) => {
      resolve(code ?? 1);
      for (const listener of listeners) listener();
    }),
  );
  return {
    child,
    output: () => output,
    waitFor(pattern, timeoutMs = 240_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const match = pattern.exec(output);
          if (match) return finish(() => resolve(match[1] ?? match[0]));
          if (child.exitCode !== null) finish(() => reject(new Error(`launcher exited before ${pattern}:\n${output}`)));
        };
        const timer = setTimeout(
          () => finish(() => reject(new Error(`launcher printed no ${pattern} in ${timeoutMs} ms:\n${output}`))),
          timeoutMs,
        );
        const finish = (settle: () => void) => {
          clearTimeout(timer);
          listeners.delete(check);
          settle();
        };
        listeners.add(check);
        check();
      });
    },
    async interrupt(timeoutMs = 90_000) {
      if (child.exitCode === null) child.kill("SIGINT");
      const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}
