import { existsSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort, type NatsServer, startNatsServer } from "@graft/natsd";
import { Child, type ChildSpec } from "./child.ts";
import type { LauncherEnv } from "./env.ts";

const root = fileURLToPath(new URL("../../../", import.meta.url));
const tsx = import.meta.resolve("tsx");

export interface LocalPlatform {
  graphqlUrl: string;
  apiKey: string;
  joinToken: string;
  natsUrl: string;
  dashboardUrl: string | null;
  /** Stops the children in reverse start order: web, trainers, gateway, NATS. */
  stop(): Promise<void>;
  /** Resolves when a part the platform cannot run without (NATS, gateway) exits on its own. */
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

export async function startLocalPlatform(env: LauncherEnv, log: (line: string) => void): Promise<LocalPlatform> {
  const children: Child[] = [];
  let nats: NatsServer | undefined;
  let stopping = false;
  let reportFailure: (reason: string) => void = () => {};
  const failed = new Promise<string>((resolve) => {
    reportFailure = resolve;
  });

  const stop = async () => {
    stopping = true;
    for (const child of [...children].reverse()) await child.stop();
    await nats?.stop();
  };

  const start = (spec: ChildSpec, essential: boolean) => {
    const child = new Child(spec, log);
    children.push(child);
    void child.exited.then(({ code, signal }) => {
      if (stopping) return;
      log(`[launcher] ${spec.name} exited (${signal ?? code})`);
      if (essential) reportFailure(`${spec.name} exited`);
    });
    return child;
  };

  try {
    mkdirSync(env.graftHome, { recursive: true });

    let natsUrl = env.NATS_URL;
    if (!natsUrl) {
      nats = await startNatsServer({ port: await pickPort(env.NATS_PORT), storeDir: join(env.graftHome, "nats") });
      natsUrl = nats.url;
      void new Promise<void>((resolve) => nats?.process.once("exit", () => resolve())).then(() => {
        if (!stopping) reportFailure("nats-server exited");
      });
      log(`[launcher] nats-server -js on ${natsUrl} (store ${nats.storeDir})`);
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
          GATEWAY_PORT: String(await pickPort(env.GATEWAY_PORT)),
          // The gateway keeps the local API key and join token under GRAFT_HOME (0600), so a
          // restart prints the same ones; GRAFT_BOOTSTRAP_KEY / GRAFT_JOIN_TOKEN pass through.
          ...(env.DATABASE_URL ? { DATABASE_URL: env.DATABASE_URL } : {}),
        },
      },
      true,
    );
    // First start migrates and seeds the catalog: give it time on a slow machine.
    const graphqlUrl = await gateway.waitFor(/GraphQL:\s*(\S+)/, 180_000);
    const apiKey = await gateway.waitFor(/API key:\s*(\S+)/, 10_000);
    const joinToken = await gateway.waitFor(/Join token:\s*(\S+)/, 10_000);

    const [, trainerArgs] = tsService("services/trainer/src/main.ts");
    for (let i = 1; i <= env.GRAFT_TRAINERS; i++) {
      start(
        {
          name: `trainer-${i}`,
          command: node,
          args: [...trainerArgs],
          cwd: root,
          env: { ...base, GATEWAY_URL: graphqlUrl, GRAFT_JOIN_TOKEN: joinToken, TRAINER_NAME: `local-${i}` },
        },
        false,
      );
    }

    let dashboardUrl: string | null = null;
    if (env.GRAFT_WEB) dashboardUrl = await startWeb(env, { graphqlUrl, apiKey }, start, log);

    return { graphqlUrl, apiKey, joinToken, natsUrl, dashboardUrl, stop, failed };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function startWeb(
  env: LauncherEnv,
  gateway: { graphqlUrl: string; apiKey: string },
  start: (spec: ChildSpec, essential: boolean) => Child,
  log: (line: string) => void,
): Promise<string> {
  const webDir = join(root, "apps/web");
  const next = createRequire(join(webDir, "package.json")).resolve("next/dist/bin/next");
  const webEnv: NodeJS.ProcessEnv = {
    ...process.env,
    GRAPHQL_URL: gateway.graphqlUrl,
    GRAFT_API_KEY: gateway.apiKey,
    NEXT_TELEMETRY_DISABLED: "1",
  };
  if (!existsSync(join(webDir, ".next", "BUILD_ID"))) {
    log("[launcher] building the dashboard once (next build; a few minutes on a small machine)...");
    const build = start(
      { name: "web-build", command: process.execPath, args: [next, "build"], cwd: webDir, env: webEnv },
      false,
    );
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
      env: webEnv,
    },
    false,
  );
  return await web.waitFor(/(?:Local|url):\s*(http\S+)/i, 120_000).catch(() => `http://127.0.0.1:${port}`);
}
