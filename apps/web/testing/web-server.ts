import { type ChildProcess, spawn } from "node:child_process";
import { freePort } from "@graft/natsd";
import { NEXT_BIN, WEB_DIR } from "./web-build.ts";

export interface WebServer {
  url: string;
  output(): string;
  stop(): Promise<void>;
}

export class WebServerStartError extends Error {
  override name = "WebServerStartError";
}

/**
 * Runs `next start` for the built dashboard on a free port, pointed at a gateway. `env` adds
 * to (or overrides) the dashboard's environment, e.g. GRAFT_ALLOWED_HOSTS.
 */
export async function startWebServer(options: {
  graphqlUrl: string;
  env?: Record<string, string>;
}): Promise<WebServer> {
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, [NEXT_BIN, "start", "-p", String(port), "-H", "127.0.0.1"], {
    cwd: WEB_DIR,
    env: {
      ...process.env,
      GRAPHQL_URL: options.graphqlUrl,
      WEB_PORT: String(port),
      NEXT_TELEMETRY_DISABLED: "1",
      ...options.env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
    await exited;
    clearTimeout(timer);
  };

  const until = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new WebServerStartError(`next start exited (${child.exitCode}):\n${output}`);
    try {
      const res = await fetch(`${url}/login`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > until) {
      await stop();
      throw new WebServerStartError(`next start did not answer on ${url} within 60 s:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return { url, output: () => output, stop };
}
