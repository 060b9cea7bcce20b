import { join } from "node:path";
import { loadOrCreateNatsAuth, type NatsServer, natsAuthFile, readNatsAuth, startNatsServer } from "@graft/natsd";
import { readEnv } from "./env.ts";
import { localSecret, privateDir } from "./local-secrets.ts";
import { startGateway } from "./start-gateway.ts";

// `npm run gateway`: the gateway as a process. Without NATS_URL it runs its own nats-server
// with JetStream under GRAFT_HOME; without DATABASE_URL, PGlite under GRAFT_HOME.
const env = readEnv();
const log = (line: string) => console.error(line);

/** The operator's secret from the environment, or the local one kept in GRAFT_HOME. */
async function secretFor(given: string | undefined, variable: string, file: "local-api-key" | "join-token") {
  if (given !== undefined) return { secret: given, shown: `from ${variable}` };
  const local = await localSecret(env.GRAFT_HOME, file);
  // Printed once, when made; afterwards only where it is kept.
  return {
    secret: local.secret,
    shown: local.created
      ? `${local.secret} (shown once; kept in ${local.path}, mode 0600)`
      : `kept in ${local.path} (printed when it was made)`,
  };
}

let nats: NatsServer | undefined;
try {
  await privateDir(env.GRAFT_HOME);
  // Our own nats-server: its keys are made once under GRAFT_HOME. Someone else's: its keys are
  // given (GRAFT_NATS_AUTH), or found where a launcher on this machine wrote them.
  const natsAuth =
    env.NATS_URL === undefined
      ? await loadOrCreateNatsAuth(env.GRAFT_HOME)
      : readNatsAuth(env.GRAFT_NATS_AUTH ?? natsAuthFile(env.GRAFT_HOME));
  if (!env.NATS_URL) {
    nats = await startNatsServer({ storeDir: join(env.GRAFT_HOME, "nats"), auth: natsAuth });
    log(`nats-server started at ${nats.url} (store ${nats.storeDir})`);
  }
  const pgliteDir = join(env.GRAFT_HOME, "pglite");
  if (!env.DATABASE_URL) await privateDir(pgliteDir);
  const apiKey = await secretFor(env.GRAFT_BOOTSTRAP_KEY, "GRAFT_BOOTSTRAP_KEY", "local-api-key");
  const joinToken = await secretFor(env.GRAFT_JOIN_TOKEN, "GRAFT_JOIN_TOKEN", "join-token");
  const gateway = await startGateway({
    port: env.GATEWAY_PORT,
    host: env.GATEWAY_HOST,
    natsUrl: env.NATS_URL ?? (nats as NatsServer).url,
    natsAuth,
    ...(env.GRAFT_JOB_ACK_WAIT_MS ? { jobAckWaitMs: env.GRAFT_JOB_ACK_WAIT_MS } : {}),
    ...(env.DATABASE_URL ? { databaseUrl: env.DATABASE_URL } : { pgliteDir }),
    bootstrapKey: apiKey.secret,
    joinToken: joinToken.secret,
    trainerOfflineAfterMs: env.GRAFT_TRAINER_OFFLINE_AFTER_MS,
    allowPrivateUrls: env.GRAFT_ALLOW_PRIVATE_URLS,
    maxUploadBytes: env.GRAFT_MAX_UPLOAD_BYTES,
    maxConcurrentUploads: env.GRAFT_MAX_CONCURRENT_UPLOADS,
    requestRate: { requests: env.GRAFT_RATE_LIMIT_PER_MINUTE, windowMs: 60_000 },
    introspection: env.GRAFT_INTROSPECTION,
    headersTimeoutMs: env.GRAFT_HEADERS_TIMEOUT_MS,
    maxOperationsPerSocket: env.GRAFT_MAX_OPERATIONS_PER_SOCKET,
    uploadClaimTimeoutMs: env.GRAFT_UPLOAD_CLAIM_TIMEOUT_MS,
    maxEventDropsPerTrainer: env.GRAFT_MAX_EVENT_DROPS_PER_TRAINER,
    ...(env.GRAFT_ALLOWED_HOSTS ? { allowedHosts: env.GRAFT_ALLOWED_HOSTS } : {}),
    apiKeyCacheTtlMs: env.GRAFT_API_KEY_CACHE_MS,
    credentialFailures: { failures: env.GRAFT_CREDENTIAL_FAILURES_PER_MINUTE, windowMs: 60_000 },
    ...(env.GRAFT_TRUSTED_PROXIES ? { trustedProxies: env.GRAFT_TRUSTED_PROXIES } : {}),
    responseCacheBytes: Math.floor(env.GRAFT_RESPONSE_CACHE_MB * 2 ** 20),
    sessionPolicy: {
      idleMs: env.GRAFT_SESSION_IDLE_MINUTES * 60_000,
      maxAgeMs: env.GRAFT_SESSION_MAX_HOURS * 3_600_000,
    },
    log,
  });
  console.log(`GraphQL: ${gateway.url}`);
  console.log(`API key: ${apiKey.shown}`);
  console.log(`Join token: ${joinToken.shown}`);
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
