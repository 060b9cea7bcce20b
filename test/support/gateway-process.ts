import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { GatewayConfig } from "@graft/gateway";

const CHILD = fileURLToPath(new URL("./gateway-child.ts", import.meta.url));

/** A gateway running as a child process, with the secrets a test needs to talk to it. */
export interface GatewayProcess {
  url: string;
  apiKey: string;
  joinToken: string;
  pid: number;
  kill(signal?: NodeJS.Signals): void;
  /** Resolves when the process has exited. */
  exited: Promise<void>;
  output(): string;
}

type ChildConfig = Omit<GatewayConfig, "log"> & { bootstrapKey: string; joinToken: string };

/** Starts gateway-child.ts with `config`; resolves once it serves GraphQL. */
export async function startGatewayProcess(
  config: ChildConfig,
  name = "gateway",
  echo = process.env.GRAFT_TEST_ECHO === "1",
  /** Node flags for the gateway process (benches: `--cpu-prof`). */
  nodeArgs: readonly string[] = [],
): Promise<GatewayProcess> {
  const child: ChildProcess = spawn(process.execPath, [...nodeArgs, "--import", "tsx", CHILD], {
    env: { ...process.env, GRAFT_TEST_GATEWAY_CONFIG: JSON.stringify(config) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} printed no GraphQL URL in 180 s:\n${output}`)), 180_000);
    const onData = (chunk: Buffer) => {
      output += chunk;
      if (echo) process.stderr.write(`[${name}] ${chunk}`);
      const match = /^GraphQL: (\S+)$/m.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`${name} exited before it was ready:\n${output}`));
    });
  });
  if (child.pid === undefined) throw new Error(`could not start ${name}`);
  return {
    url,
    apiKey: config.bootstrapKey,
    joinToken: config.joinToken,
    pid: child.pid,
    kill(signal = "SIGTERM") {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
    exited,
    output: () => output,
  };
}

/** SIGTERM, then SIGKILL after `graceMs`. */
export async function stopGatewayProcess(gateway: GatewayProcess, graceMs = 20_000): Promise<void> {
  gateway.kill("SIGTERM");
  const timer = setTimeout(() => gateway.kill("SIGKILL"), graceMs);
  await gateway.exited;
  clearTimeout(timer);
}
