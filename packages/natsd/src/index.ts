/**
 * Public API of @graft/natsd: runs a real `nats-server -js` as a child process, for the
 * local launcher and for tests. Nothing here talks NATS protocol; clients connect to `url`.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateNatsAuth, type NatsAuth, natsServerConfig } from "./auth.ts";

export {
  generateNatsAuth,
  graftAccountId,
  loadOrCreateNatsAuth,
  type NatsAuth,
  natsAuthFile,
  natsServerConfig,
  readNatsAuth,
} from "./auth.ts";

export class NatsServerNotFoundError extends Error {
  override name = "NatsServerNotFoundError";
  constructor() {
    super(
      "nats-server is not installed. On Debian/Ubuntu: `sudo apt-get install -y nats-server`; " +
        "elsewhere see https://docs.nats.io/running-a-nats-service/introduction/installation, or set NATS_URL to an existing server.",
    );
  }
}

export interface NatsServerOptions {
  /** TCP port; 0 picks a free one. @default 0 */
  port?: number;
  /** JetStream store directory; a temp dir (removed on stop) when omitted. */
  storeDir?: string;
  /** Path of the nats-server binary. @default "nats-server" found on PATH */
  binary?: string;
  /** Extra command-line arguments. */
  args?: string[];
  /**
   * Operator, accounts and users the server trusts. The server always runs in operator mode
   * (no anonymous clients); a fresh set is generated when omitted (tests).
   */
  auth?: NatsAuth;
  /** Forward the server's log lines here. */
  onLog?: (line: string) => void;
}

export interface NatsServer {
  url: string;
  port: number;
  storeDir: string;
  /** What the server trusts; `auth.gatewayCreds` connects with every right in the Graft account. */
  auth: NatsAuth;
  process: ChildProcess;
  /** Stops the server (SIGTERM, then SIGKILL after 5 s) and removes a temp store. */
  stop(): Promise<void>;
  /** Kills the server at once, keeping the store, as a crash would. */
  kill(): Promise<void>;
  /** Starts a new server on the same port and store (after stop or kill). */
  restart(): Promise<NatsServer>;
}

export function findNatsServer(binary = "nats-server"): string | undefined {
  const found = spawnSync(binary, ["--version"], { encoding: "utf8" });
  return found.status === 0 ? binary : undefined;
}

export async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Starts nats-server with JetStream and resolves once it accepts clients. */
export async function startNatsServer(options: NatsServerOptions = {}): Promise<NatsServer> {
  const binary = findNatsServer(options.binary);
  if (!binary) throw new NatsServerNotFoundError();
  const port = options.port || (await freePort());
  const ownStore = !options.storeDir;
  const storeDir = options.storeDir ?? mkdtempSync(join(tmpdir(), "graft-nats-"));
  const auth = options.auth ?? (await generateNatsAuth());
  const resolverDir = join(storeDir, "accounts");
  mkdirSync(resolverDir, { recursive: true, mode: 0o700 });
  const configFile = join(storeDir, "nats-server.conf");
  writeFileSync(configFile, natsServerConfig(auth, resolverDir), { mode: 0o600 });
  const args = [
    "-c",
    configFile,
    "-js",
    "-a",
    "127.0.0.1",
    "-p",
    String(port),
    "-sd",
    storeDir,
    ...(options.args ?? []),
  ];
  const child = spawn(binary, args, { stdio: ["ignore", "pipe", "pipe"] });

  await new Promise<void>((resolve, reject) => {
    let output = "";
    const timer = setTimeout(() => fail(new Error(`nats-server did not start in 15 s:\n${output}`)), 15_000);
    const onData = (chunk: Buffer) => {
      const text = chunk.toString();
      output += text;
      for (const line of text.split("\n")) if (line.trim()) options.onLog?.(line);
      if (output.includes("Server is ready")) {
        clearTimeout(timer);
        resolve();
      }
    };
    const fail = (error: Error) => {
      clearTimeout(timer);
      child.kill("SIGKILL");
      reject(error);
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", (code) => fail(new Error(`nats-server exited with ${code} before it was ready:\n${output}`)));
  });
  child.removeAllListeners("exit");

  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stopWith = async (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill(signal);
      const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(timer);
    }
  };
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    storeDir,
    auth,
    process: child,
    async stop() {
      await stopWith("SIGTERM");
      if (ownStore) rmSync(storeDir, { recursive: true, force: true });
    },
    async kill() {
      await stopWith("SIGKILL");
    },
    restart: () => startNatsServer({ ...options, auth, port, storeDir }),
  };
}
