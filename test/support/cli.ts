import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const BIN = fileURLToPath(new URL("../../apps/cli/bin/graft.mjs", import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the real `graft` binary as a child process (async: the gateway may live in this very
 * process, and a blocking spawn would stall it). `env` replaces the CLI-relevant variables.
 */
export async function graft(
  args: string[],
  env: Record<string, string | undefined> = {},
  timeoutMs = 180_000,
): Promise<CliResult> {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: "1", GRAFT_URL: undefined, GRAFT_API_KEY: undefined, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk;
  });
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk;
  });
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  const code = await new Promise<number>((resolve) => child.once("exit", (c) => resolve(c ?? 137)));
  clearTimeout(timer);
  return { code, stdout, stderr };
}

const homes: string[] = [];
process.once("exit", () => {
  for (const home of homes) rmSync(home, { recursive: true, force: true });
});

/**
 * The CLI's environment as a script would set it: the gateway's URL and key in GRAFT_URL and
 * GRAFT_API_KEY, and a fresh HOME without a saved login (removed when the test process exits).
 */
export function cliEnv(gateway: { url: string; apiKey: string }): Record<string, string> {
  const home = mkdtempSync(join(tmpdir(), "graft-cli-home-"));
  homes.push(home);
  return { GRAFT_URL: gateway.url, GRAFT_API_KEY: gateway.apiKey, HOME: home, XDG_CONFIG_HOME: join(home, ".config") };
}
