import { chmodSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort, loadOrCreateNatsAuth, type NatsServer, startNatsServer } from "@graft/natsd";
import { Child, type ChildSpec } from "./child.ts";
import { waitForDependency } from "./dependency.ts";
import type { LauncherEnv } from "./env.ts";
import { startReaper } from "./reaper.ts";

const root = fileURLToPath(new URL("../../../", import.meta.url));
const tsx = import.meta.resolve("tsx");

export interface LocalPlatform {
  graphqlUrl: string;
  /**
   * What to tell the operator about the API key: the key itself on the start that made it
   * (shown once), afterwards where it is kept, or that it came from GRAFT_BOOTSTRAP_KEY.
   */
  apiKeyNote: string;
  /** The same for the join token. */
  joinTokenNote: string;
  natsUrl: string;
  dashboardUrl: string | null;
  /** Stops the children in reverse start order: web, trainers, gateway, NATS. */
  stop(): Promise<void>;
  /**
   * Resolves when the embedded nats-server exits on its own (the platform cannot run without
   * it). Gateway, trainers and dashboard are restarted with backoff instead.
   */
  failed: Promise<string>;
}

async function portIsFree(port: number): Promise<boolean> {
  return await new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

/** The preferred port when free, else any free one: a second checkout must still start. */
async function pickPort(preferred: number): Promise<number> {
  if (preferred === 0) return 0;
  return (await portIsFree(preferred)) ? preferred : await freePort();
}

const tsService = (path: string) => [process.execPath, ["--import", tsx, join(root, path)]] as const;

/** Restart delay after a child's `restarts`-th crash in a row: 1 s doubling to 30 s. */
export const restartDelayMs = (restarts: number) => Math.min(1_000 * 2 ** restarts, 30_000);
/** A child that ran this long before it crashed starts its backoff afresh. */
const STABLE_MS = 60_000;

export async function startLocalPlatform(env: LauncherEnv, log: (line: string) => void): Promise<LocalPlatform> {
  /** The current process of each started child, in start order (restarts replace theirs). */
  const children: { current: Child }[] = [];
  let nats: NatsServer | undefined;
  let stopping = false;
  let reportFailure: (reason: string) => void = () => {};
  const failed = new Promise<string>((resolve) => {
    reportFailure = resolve;
  });
  const reaper = startReaper();

  const stop = async () => {
    stopping = true;
    for (const slot of [...children].reverse()) await slot.current.stop();
    await nats?.stop();
    reaper.close();
  };

  /** Starts a child; `restart`: an exit the launcher did not ask for restarts it, with backoff, and says so. */
  const start = (spec: ChildSpec, options: { restart?: boolean } = {}) => {
    let restarts = 0;
    const launch = (): Child => {
      const child = new Child(spec, log);
      if (child.process.pid !== undefined) {
        reaper.trackGroup(child.process.pid);
        log(`[launcher] ${spec.name} started (pid ${child.process.pid})`);
      }
      const startedAt = Date.now();
      void child.exited.then(({ code, signal }) => {
        if (stopping) return;
        log(`[launcher] ${spec.name} exited (${signal ?? code})`);
        if (!options.restart) return;
        if (Date.now() - startedAt >= STABLE_MS) restarts = 0;
        const delay = restartDelayMs(restarts++);
        log(`[launcher] restarting ${spec.name} in ${delay / 1000} s (restart ${restarts})`);
        setTimeout(() => {
          if (!stopping) slot.current = launch();
        }, delay);
      });
      return child;
    };
    const slot = { current: launch() };
    children.push(slot);
    return slot.current;
  };

  try {
    // Local state (PGlite, NATS store, secrets) is for this user only.
    mkdirSync(env.graftHome, { recursive: true, mode: 0o700 });
    chmodSync(env.graftHome, 0o700);

    let natsUrl = env.NATS_URL;
    if (!natsUrl) {
      // Operator-mode keys are made once (GRAFT_HOME/nats-auth.json, 0600); the gateway reads
      // them from there. Trainers get their own users from the gateway when they register.
      nats = await startNatsServer({
        port: await pickPort(env.NATS_PORT),
        storeDir: join(env.graftHome, "nats"),
        auth: await loadOrCreateNatsAuth(env.graftHome),
      });
      if (nats.process.pid !== undefined) reaper.trackProcess(nats.process.pid);
      natsUrl = nats.url;
      void new Promise<void>((resolve) => nats?.process.once("exit", () => resolve())).then(() => {
        if (!stopping) reportFailure("nats-server exited");
      });
      log(`[launcher] nats-server -js on ${natsUrl} (store ${nats.storeDir})`);
    } else {
      await waitForDependency("NATS", natsUrl, 4222, log, { isStopping: () => stopping });
    }
    if (env.DATABASE_URL) {
      await waitForDependency("PostgreSQL", env.DATABASE_URL, 5432, log, { isStopping: () => stopping });
    }

    const base: NodeJS.ProcessEnv = { ...process.env, GRAFT_HOME: env.graftHome, NATS_URL: natsUrl };
    const [node, gatewayArgs] = tsService("services/gateway/src/main.ts");
    const gateway = start(
      {
        name: "gateway",
        command: node,
        args: [...gatewayArgs],
        cwd: root,
        env: {
          ...base,
          // A fixed port even when any will do: a restarted gateway must answer where it did.
          GATEWAY_PORT: String(env.GATEWAY_PORT === 0 ? await freePort() : await pickPort(env.GATEWAY_PORT)),
          // The gateway keeps the local API key and join token under GRAFT_HOME (0600), so a
          // restart prints the same ones; GRAFT_BOOTSTRAP_KEY / GRAFT_JOIN_TOKEN pass through.
          ...(env.DATABASE_URL ? { DATABASE_URL: env.DATABASE_URL } : {}),
        },
      },
      { restart: true },
    );
    // First start migrates and seeds the catalog: give it time on a slow machine.
    const graphqlUrl = await gateway.waitFor(/GraphQL:\s*(\S+)/, 180_000);
    const apiKeyNote = await gateway.waitFor(/API key:\s*(.+)$/, 10_000);
    const joinTokenNote = await gateway.waitFor(/Join token:\s*(.+)$/, 10_000);
    // The gateway keeps the local join token in GRAFT_HOME; the trainers get it from there.
    const joinToken = env.GRAFT_JOIN_TOKEN ?? readFileSync(join(env.graftHome, "join-token"), "utf8").trim();

    const [, trainerArgs] = tsService("services/trainer/src/main.ts");
    for (let i = 1; i <= env.GRAFT_TRAINERS; i++) {
      start(
        {
          name: `trainer-${i}`,
          command: node,
          args: [...trainerArgs],
          cwd: root,
          env: {
            ...withoutSecrets(base),
            GATEWAY_URL: graphqlUrl,
            GRAFT_JOIN_TOKEN: joinToken,
            TRAINER_NAME: `local-${i}`,
            // Its outbox survives a restart there, so events a crash left unsent go out on the next start.
            TRAINER_STATE_DIR: join(env.graftHome, "trainers", `local-${i}`),
          },
        },
        { restart: true },
      );
    }

    let dashboardUrl: string | null = null;
    if (env.GRAFT_WEB) dashboardUrl = await startWeb(env, graphqlUrl, start, log);

    return { graphqlUrl, apiKeyNote, joinTokenNote, natsUrl, dashboardUrl, stop, failed };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** A child's environment without the operator's secrets: only the gateway needs them. */
function withoutSecrets(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { GRAFT_API_KEY: _, GRAFT_BOOTSTRAP_KEY: __, GRAFT_JOIN_TOKEN: ___, ...rest } = env;
  return rest;
}

/** The dashboard holds no credential: every request it makes carries the user's session. */
async function startWeb(
  env: LauncherEnv,
  graphqlUrl: string,
  start: (spec: ChildSpec, options?: { restart?: boolean }) => Child,
  log: (line: string) => void,
): Promise<string> {
  const webDir = join(root, "apps/web");
  const next = createRequire(join(webDir, "package.json")).resolve("next/dist/bin/next");
  const webEnv: NodeJS.ProcessEnv = {
    ...withoutSecrets(process.env),
    GRAPHQL_URL: graphqlUrl,
    NEXT_TELEMETRY_DISABLED: "1",
  };
  if (!existsSync(join(webDir, ".next", "BUILD_ID"))) {
    log("[launcher] building the dashboard once (next build; a few minutes on a small machine)...");
    const build = start({
      name: "web-build",
      command: process.execPath,
      args: [next, "build"],
      cwd: webDir,
      env: webEnv,
    });
    const { code } = await build.exited;
    if (code !== 0) throw new Error(`the dashboard build failed (exit ${code}); GRAFT_WEB=0 starts without it`);
  }
  const port = await pickPort(env.WEB_PORT);
  const web = start(
    {
      name: "web",
      command: process.execPath,
      args: [next, "start", "-p", String(port), "-H", "127.0.0.1"],
      cwd: webDir,
      // WEB_PORT: the dashboard answers to localhost/127.0.0.1/[::1] on this port (Host check).
      env: { ...webEnv, WEB_PORT: String(port) },
    },
    { restart: true },
  );
  return await web.waitFor(/(?:Local|url):\s*(http\S+)/i, 120_000).catch(() => `http://127.0.0.1:${port}`);
}
