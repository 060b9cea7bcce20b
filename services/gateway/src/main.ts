import { join } from "node:path";
import { type NatsServer, startNatsServer } from "@graft/natsd";
import { readEnv } from "./env.ts";
import { localSecret } from "./local-secrets.ts";
import { startGateway } from "./start-gateway.ts";

// `npm run gateway`: the gateway as a process. Without NATS_URL it runs its own nats-server
// with JetStream under GRAFT_HOME; without DATABASE_URL, PGlite under GRAFT_HOME.
const env = readEnv();
const log = (line: string) => console.error(line);
let nats: NatsServer | undefined;
try {
  if (!env.NATS_URL) {
    nats = await startNatsServer({ storeDir: join(env.GRAFT_HOME, "nats") });
    log(`nats-server started at ${nats.url} (store ${nats.storeDir})`);
  }
  const gateway = await startGateway({
    port: env.GATEWAY_PORT,
    host: env.GATEWAY_HOST,
    natsUrl: env.NATS_URL ?? (nats as NatsServer).url,
    ...(env.NATS_USER ? { natsCredentials: { user: env.NATS_USER, pass: env.NATS_PASSWORD ?? "" } } : {}),
    ...(env.DATABASE_URL ? { databaseUrl: env.DATABASE_URL } : { pgliteDir: join(env.GRAFT_HOME, "pglite") }),
    bootstrapKey: env.GRAFT_BOOTSTRAP_KEY ?? (await localSecret(env.GRAFT_HOME, "local-api-key")),
    joinToken: env.GRAFT_JOIN_TOKEN ?? (await localSecret(env.GRAFT_HOME, "join-token")),
    trainerOfflineAfterMs: env.GRAFT_TRAINER_OFFLINE_AFTER_MS,
    allowPrivateUrls: env.GRAFT_ALLOW_PRIVATE_URLS,
    maxUploadBytes: env.GRAFT_MAX_UPLOAD_BYTES,
    log,
  });
  console.log(`GraphQL: ${gateway.url}`);
  console.log(`API key: ${gateway.apiKey}`);
  console.log(`Join token: ${gateway.joinToken}`);
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`gateway: ${signal}, stopping`);
    await gateway.stop();
    await nats?.stop();
    process.exit(0);
  };
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));
} catch (error) {
  log(`gateway: failed to start: ${error instanceof Error ? error.message : String(error)}`);
  await nats?.stop();
  process.exit(1);
}
