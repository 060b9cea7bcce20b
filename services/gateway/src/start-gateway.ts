import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { ApolloServer } from "@apollo/server";
import { ApolloServerPluginCacheControlDisabled } from "@apollo/server/plugin/disabled";
import { ApolloServerPluginDrainHttpServer } from "@apollo/server/plugin/drainHttpServer";
import { openArtifactStore } from "@graft/artifacts";
import type { BuiltinModelKey } from "@graft/catalog";
import type { Role } from "@graft/contracts";
import { ensureStreams, TRAINER_ARTIFACTS_PATH } from "@graft/contracts";
import { createDatabase } from "@graft/db";
import type { NatsAuth } from "@graft/natsd";
import { jetstream } from "@nats-io/jetstream";
import { connect, credsAuthenticator } from "@nats-io/transport-node";
import { sql } from "drizzle-orm";
import { authenticate, DEFAULT_SESSION_POLICY, type SessionPolicy } from "./auth/authenticate.ts";
import { bootstrapLocal, createProject } from "./auth/bootstrap.ts";
import { ClientAddresses } from "./auth/client-address.ts";
import { type CredentialFailureLimit, CredentialFailures } from "./auth/credential-failures.ts";
import { type GuessLimit, GuessLimiter } from "./auth/guess-limiter.ts";
import { ApiKeyCache, followRevokedKeys } from "./auth/key-cache.ts";
import { assertStrongSecret } from "./auth/secret-strength.ts";
import type { DomainDeps } from "./domain/deps.ts";
import { createDomain } from "./domain/index.ts";
import { JobPublisher, type JobPublisherOptions } from "./domain/job-outbox.ts";
import { seedBuiltins } from "./domain/seed.ts";
import { SweepScheduler } from "./domain/sweep-scheduler.ts";
import { startEventPlane } from "./events/index.ts";
import { requireApiKey } from "./graphql/auth-plugin.ts";
import type { GraphQLContext } from "./graphql/context.ts";
import { createFormatError } from "./graphql/format-error.ts";
import { createArmor, DEFAULT_OPERATION_LIMITS, listCostPlugin, type OperationLimits } from "./graphql/limits.ts";
import { createLoaders } from "./graphql/loaders.ts";
import { RequestLimiter, type RequestRate, requestRatePlugin } from "./graphql/request-limiter.ts";
import { responseCache } from "./graphql/response-cache.ts";
import { createSchema } from "./graphql/schema.ts";
import { tooManyAttemptsStatus } from "./graphql/too-many-attempts-plugin.ts";
import { attachWebSockets } from "./graphql/ws.ts";
import { handleGraphQL, sendJson } from "./http/apollo-node.ts";
import { HostAllowList, refuseForeignHost } from "./http/host-guard.ts";
import { handleTrainerArtifact } from "./http/trainer-artifacts.ts";
import { handleUpload } from "./http/uploads.ts";
import { WorkLeases } from "./http/work-leases.ts";
import { TrainerPlane } from "./trainer-plane/trainer-plane.ts";

export interface GatewayConfig {
  /** TCP port; 0 picks a free one. @default 4000 */
  port?: number;
  /** @default "127.0.0.1" */
  host?: string;
  natsUrl: string;
  /**
   * The NATS operator, accounts and the gateway's own users (see @graft/natsd). The gateway
   * connects with `gatewayCreds`, mints trainer users with the account key and pushes
   * revocations signed by the operator key.
   */
  natsAuth: NatsAuth;
  /** Ack wait of the pools' job consumers (the gateway creates them at registration). @default 30_000 */
  jobAckWaitMs?: number;
  /** PostgreSQL connection string; wins over pgliteDir. */
  databaseUrl?: string;
  /** PGlite data directory; PGlite in memory when neither this nor databaseUrl is set. */
  pgliteDir?: string;
  /**
   * The local project's ADMIN API key; a fresh one is made (and returned) when absent. A
   * different key than the last start's revokes that one. Refused when short or guessable.
   */
  bootstrapKey?: string;
  /** The join token trainers present; like bootstrapKey: made when absent, rotated when changed. */
  joinToken?: string;
  /**
   * Host names (`name` or `name:port`) the gateway answers to; others get 421 (DNS rebinding).
   * `["*"]` answers any. @default localhost, 127.0.0.1 and [::1] on the gateway's port
   */
  allowedHosts?: readonly string[];
  /** Dashboard session lifetimes. @default 8 h idle, 7 days in all */
  sessionPolicy?: Partial<SessionPolicy>;
  /** Failed join-token guesses per client address. @default 20 per minute */
  joinTokenGuesses?: GuessLimit;
  /**
   * Unknown, revoked or expired API keys and sessions per client address, each of which costs
   * a database read; past it the address gets 429 until the window ends. @default 100 per minute
   */
  credentialFailures?: CredentialFailureLimit;
  /**
   * Proxies (addresses or CIDR ranges) whose `X-Forwarded-For` names the client, e.g. the
   * dashboard or a load balancer in front of the gateway. @default loopback
   */
  trustedProxies?: readonly string[];
  /**
   * How long a replica serves a valid API key without reading it again. The replica that
   * revokes a key refuses it at once and tells the others over NATS; this bounds how long
   * another replica may still accept it should that notice be lost. 0 turns the cache off.
   * @default 5_000
   */
  apiKeyCacheTtlMs?: number;
  /**
   * Bytes of GraphQL answers a replica caches (graphql/response-cache.ts): queries that read
   * only database state, keyed by the caller's project and role and by the database's
   * data_version, so no answer is ever staler than an uncached one. 0 turns the cache off.
   * @default 32 MiB
   */
  responseCacheBytes?: number;
  /** How often open websockets re-check their key or session. @default 30_000 */
  credentialRecheckMs?: number;
  /** How often websockets are pinged; one that has not answered by the next ping is ended. @default 12_000 */
  websocketKeepAliveMs?: number;
  /** A trainer silent this long is marked OFFLINE. @default 10_000 */
  trainerOfflineAfterMs?: number;
  /** Let registerModel fetch URLs on private/loopback addresses (tests, closed networks). @default false */
  allowPrivateUrls?: boolean;
  /** Deadline for fetching a model URL with its shards, body included. @default 60_000 */
  fetchTimeoutMs?: number;
  /** Largest POST /uploads body. @default 256 MiB */
  maxUploadBytes?: number;
  /** Uploads one API key may stream at once, over every replica sharing the database. @default 2 */
  maxConcurrentUploads?: number;
  /** A claimed upload whose mutation has not ended after this long may be claimed again. @default 15 min */
  uploadClaimTimeoutMs?: number;
  /** GraphQL operations and uploads per API key, over every replica sharing the database. @default 1200 per minute */
  requestRate?: RequestRate;
  /** Refused or dead-lettered run events recorded per trainer per 24 h (event_drops). @default 1000 */
  maxEventDropsPerTrainer?: number;
  /** Answer __schema / __type queries (GRAFT_INTROSPECTION). @default false */
  introspection?: boolean;
  /** Token, depth and list-cost limits of GraphQL operations. @default DEFAULT_OPERATION_LIMITS */
  operationLimits?: Partial<Omit<OperationLimits, "introspection">>;
  /** Time a client has to send its request headers. @default 10_000 */
  headersTimeoutMs?: number;
  /** Live graphql-ws operations per socket. @default 25 */
  maxOperationsPerSocket?: number;
  /** Built-in models to seed. @default every model in @graft/catalog */
  builtinModels?: readonly BuiltinModelKey[];
  /** How the job outbox is drained (see JobPublisher). @default DEFAULT_JOB_PUBLISHER_OPTIONS */
  jobOutbox?: Partial<JobPublisherOptions>;
  /** JetStream and object store in memory (tests). @default false */
  memoryStorage?: boolean;
  /** @default no logging */
  log?: (line: string) => void;
  /** Called with each SQL statement the gateway sends (query counts in tests, profiling). @default none */
  onQuery?: (sql: string) => void;
}

export interface Gateway {
  url: string;
  wsUrl: string;
  baseUrl: string;
  apiKey: string;
  joinToken: string;
  /** Makes another project with its own API key (tests, admin scripts). @default role MEMBER */
  createProject(name: string, role?: Role): Promise<{ projectId: string; apiKey: string }>;
  stop(): Promise<void>;
}

const GRAPHQL_PATH = "/graphql";
const DEFAULT_API_KEY_CACHE_TTL_MS = 5_000;
const DEFAULT_RESPONSE_CACHE_BYTES = 32 * 2 ** 20;

/** Starts the GraphQL gateway: database, NATS, event plane, Apollo + graphql-ws on one port. */
export async function startGateway(config: GatewayConfig): Promise<Gateway> {
  const log = config.log ?? (() => {});
  const cleanups: [string, () => Promise<unknown>][] = [];
  const cleanup = async () => {
    for (const [what, fn] of cleanups.reverse()) {
      log(`gateway: stopping ${what}`);
      await fn().catch((error: unknown) => log(`gateway: stopping ${what}: ${String(error)}`));
    }
    log("gateway: stopped");
  };
  try {
    // Operator-chosen secrets are judged before anything starts; generated ones are strong.
    if (config.bootstrapKey !== undefined) assertStrongSecret(config.bootstrapKey, "GRAFT_BOOTSTRAP_KEY");
    if (config.joinToken !== undefined) assertStrongSecret(config.joinToken, "GRAFT_JOIN_TOKEN");
    const t0 = Date.now();
    const phase = (what: string) => log(`gateway: ${what} (${Date.now() - t0} ms)`);
    const database = await createDatabase({
      url: config.databaseUrl,
      pgliteDir: config.pgliteDir,
      log,
      ...(config.onQuery ? { onQuery: config.onQuery } : {}),
    });
    cleanups.push(["database", () => database.close()]);
    const { db } = database;
    phase(`database ready (${database.driver})`);
    const nc = await connect({
      servers: config.natsUrl,
      name: "graft-gateway",
      maxReconnectAttempts: -1,
      authenticator: credsAuthenticator(new TextEncoder().encode(config.natsAuth.gatewayCreds)),
    });
    cleanups.push(["NATS connection", () => nc.drain()]);
    const storage = config.memoryStorage ? "memory" : "file";
    await ensureStreams(nc, { storage });
    const trainerPlane = new TrainerPlane(config.natsAuth, config.natsUrl, db);
    cleanups.push(["NATS system connection", () => trainerPlane.close()]);
    // Revocations live in the database; a nats-server that restarted (or a fresh resolver
    // directory) learns them again here.
    await trainerPlane.pushRevocations();
    const store = await openArtifactStore(nc, { storage });
    const credentials = await bootstrapLocal(db, { apiKey: config.bootstrapKey, joinToken: config.joinToken });
    phase("NATS ready");
    await seedBuiltins({ db, store, log }, config.builtinModels);
    phase("built-ins seeded");
    // Made once the domain's dependencies exist (below); the event plane tells it of stored epochs.
    let sweepScheduler: SweepScheduler | undefined;
    const events = await startEventPlane({
      db,
      nc,
      store,
      onStored: (updates) => sweepScheduler?.onRunUpdates(updates),
      verifyClaim: (event) => trainerPlane.verifyClaim(event),
      log,
      trainerOfflineAfterMs: config.trainerOfflineAfterMs,
      maxDropsPerTrainer: config.maxEventDropsPerTrainer,
      jetStream: { storage },
    });
    cleanups.push(["event plane", () => events.stop()]);

    const keyCache = new ApiKeyCache(config.apiKeyCacheTtlMs ?? DEFAULT_API_KEY_CACHE_TTL_MS);
    const revokedKeys = followRevokedKeys(keyCache, nc, log);
    cleanups.push(["key revocation notices", async () => revokedKeys.unsubscribe()]);
    const js = jetstream(nc);
    // Started before the API serves: it publishes what a gateway that died left in the outbox.
    const jobs = new JobPublisher(
      {
        db,
        nc,
        js,
        jobToken: (runId) => trainerPlane.jobToken(runId),
        announce: async (runId) => {
          await Promise.resolve(events.publishRunUpdate(runId)).catch((error: unknown) =>
            log(`job outbox: could not announce run ${runId}: ${String(error)}`),
          );
        },
        log,
      },
      config.jobOutbox,
    );
    jobs.start();
    cleanups.push(["job outbox", () => jobs.stop()]);
    const deps: DomainDeps = {
      db,
      nc,
      js,
      store,
      events,
      jobs,
      trainerPlane,
      jetStream: { storage, ...(config.jobAckWaitMs ? { jobAckWaitMs: config.jobAckWaitMs } : {}) },
      log,
      options: {
        allowPrivateUrls: config.allowPrivateUrls ?? false,
        maxFetchBytes: 512 * 2 ** 20,
        fetchTimeoutMs: config.fetchTimeoutMs ?? 60_000,
        uploadClaimTimeoutMs: config.uploadClaimTimeoutMs ?? 15 * 60_000,
      },
      guesses: new GuessLimiter(db, config.joinTokenGuesses),
      credentialFailures: new CredentialFailures(config.credentialFailures),
      sessionPolicy: { ...DEFAULT_SESSION_POLICY, ...config.sessionPolicy },
      keyCache,
    };
    const scheduler = new SweepScheduler(deps);
    sweepScheduler = scheduler;
    scheduler.start();
    cleanups.push(["sweep scheduler", () => scheduler.stop()]);
    const contextFor = (
      viewer: GraphQLContext["viewer"],
      clientAddress: string,
      authError: Error | null = null,
    ): GraphQLContext => {
      const domain = createDomain(deps, viewer, { clientAddress });
      return { viewer, authError, domain, loaders: createLoaders(domain), events };
    };
    const clientAddresses = new ClientAddresses(config.trustedProxies);
    /** `clientAddress` null: a re-check of a credential already accepted, which no failure limit refuses. */
    const authenticateWith = (authorization: string | undefined, clientAddress: string | null) =>
      authenticate(db, authorization, {
        policy: deps.sessionPolicy,
        keys: keyCache,
        ...(clientAddress === null ? {} : { failures: { limiter: deps.credentialFailures, clientAddress } }),
      });
    // The port is known once listening; until then nothing is served.
    let allowedHosts = new HostAllowList(config.allowedHosts ?? []);

    const schema = createSchema();
    const limits: OperationLimits = {
      ...DEFAULT_OPERATION_LIMITS,
      ...config.operationLimits,
      introspection: config.introspection ?? false,
    };
    const armor = createArmor(limits);
    const requestLimiter = new RequestLimiter(db, config.requestRate, log);
    // An upload lasts at most the server's request timeout (Node's 5 min); the lease outlives it.
    const uploadSlots = new WorkLeases(db, "upload", 10 * 60_000);
    // A client dribbling its request headers is cut off (408) after headersTimeoutMs, checked
    // every second; Node's defaults (60 s, checked every 30 s) let one hold a socket 90 s.
    const httpServer = createServer({
      headersTimeout: config.headersTimeoutMs ?? 10_000,
      connectionsCheckingInterval: 1_000,
    });
    // Node closes an idle keep-alive socket after 5 s, and a client reusing it just then (its
    // own idle limit is 4 s) gets ECONNRESET when our event loop runs late under load. A longer
    // idle limit keeps that race away from clients' request gaps; headersTimeout still bounds a
    // request that starts and dribbles.
    httpServer.keepAliveTimeout = 30_000;
    const formatError = createFormatError(log);
    const responseCacheBytes = config.responseCacheBytes ?? DEFAULT_RESPONSE_CACHE_BYTES;
    const answers = responseCacheBytes > 0 ? responseCache(db, { maxBytes: responseCacheBytes }) : null;
    const apollo = new ApolloServer<GraphQLContext>({
      schema,
      validationRules: armor.validationRules,
      // graphql-js counts tokens while parsing; past the limit it is a syntax error (400).
      parseOptions: { maxTokens: limits.maxTokens },
      introspection: limits.introspection,
      plugins: [
        ...armor.plugins,
        requireApiKey,
        requestRatePlugin(requestLimiter),
        listCostPlugin(limits),
        tooManyAttemptsStatus,
        // After the plugins above: its lookup runs once the operation is authenticated,
        // counted and costed (responseForOperation follows every didResolveOperation).
        ...(answers?.plugins ?? []),
        ApolloServerPluginDrainHttpServer({ httpServer }),
        // The schema sets no cache hints, so the plugin's per-field hook (a measurable part of
        // a 50-run page) only ever concluded "no-store"; apollo-node.ts sends that itself. The
        // response cache decides what it may store from its own list of fields instead.
        ApolloServerPluginCacheControlDisabled(),
      ],
      allowBatchedHttpRequests: false,
      csrfPrevention: true,
      // The process owner (main.ts, a launcher, a test) decides when to stop, not Apollo.
      stopOnTerminationSignals: false,
      includeStacktraceInErrorResponses: false,
      formatError,
      // A cached answer goes out as the text stored with it, not serialized again.
      ...(answers ? { stringifyResult: answers.stringifyResult } : {}),
    });
    await apollo.start();
    // apollo.stop() also closes the HTTP server (drain plugin); websockets are closed before it.
    cleanups.push(["Apollo and HTTP", () => apollo.stop()]);
    const ws = attachWebSockets({
      server: httpServer,
      path: GRAPHQL_PATH,
      schema,
      validationRules: [...armor.validationRules, ...armor.introspectionRules],
      limits,
      requestLimiter,
      maxOperationsPerSocket: config.maxOperationsPerSocket,
      get allowedHosts() {
        return allowedHosts;
      },
      authenticateWith,
      clientAddressOf: (req) => clientAddresses.of(req),
      context: (viewer, clientAddress) => contextFor(viewer, clientAddress),
      formatError,
      log,
      recheckEveryMs: config.credentialRecheckMs,
      keepAliveMs: config.websocketKeepAliveMs,
    });
    cleanups.push(["websockets", () => ws.close()]);

    const ready = async () => {
      await db.execute(sql`select 1`);
      if (nc.isClosed()) throw new Error("NATS connection closed");
      await nc.flush();
    };
    httpServer.on("request", (req: IncomingMessage, res: ServerResponse) => {
      route(req, res).catch((error: unknown) => {
        log(
          `http: ${req.method} ${req.url}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
        );
        if (!res.headersSent) sendJson(res, 500, { error: "internal server error" });
        else res.destroy();
      });
    });
    const route = async (req: IncomingMessage, res: ServerResponse) => {
      if (refuseForeignHost(allowedHosts, req, res)) return;
      const path = new URL(req.url ?? "/", "http://localhost").pathname;
      if (path === GRAPHQL_PATH) {
        const clientAddress = clientAddresses.of(req);
        return handleGraphQL(apollo, req, res, async () => {
          try {
            return contextFor(await authenticateWith(req.headers.authorization, clientAddress), clientAddress);
          } catch (error) {
            return contextFor(null, clientAddress, error instanceof Error ? error : new Error(String(error)));
          }
        });
      }
      if (path === "/uploads")
        return handleUpload(
          deps,
          {
            maxBytes: config.maxUploadBytes ?? 256 * 2 ** 20,
            maxConcurrent: config.maxConcurrentUploads ?? 2,
            requestLimiter,
            slots: uploadSlots,
          },
          req,
          res,
          clientAddresses.of(req),
        );
      if (path.startsWith(`${TRAINER_ARTIFACTS_PATH}/`)) return handleTrainerArtifact(deps, path, req, res);
      if (path === "/healthz") return sendJson(res, 200, { status: "ok" });
      if (path === "/readyz") {
        try {
          await withTimeout(ready(), 2_000);
          return sendJson(res, 200, { status: "ready" });
        } catch (error) {
          return sendJson(res, 503, {
            status: "unavailable",
            reason: error instanceof Error ? error.message : String(error),
          });
        }
      }
      sendJson(res, 404, { error: "not found" });
    };

    await new Promise<void>((resolve, reject) => {
      httpServer.once("error", reject);
      httpServer.listen(config.port ?? 4000, config.host ?? "127.0.0.1", () => resolve());
    });
    const { port } = httpServer.address() as AddressInfo;
    allowedHosts = config.allowedHosts ? allowedHosts : HostAllowList.loopback(port);
    log(`gateway: answering to Host ${allowedHosts} (GRAFT_ALLOWED_HOSTS)`);
    if (!config.allowedHosts && config.host && !isLoopback(config.host)) {
      log(
        `gateway: listening on ${config.host} but answering only to loopback Host names; set GRAFT_ALLOWED_HOSTS to the names clients use (e.g. gateway:${port})`,
      );
    }
    const host = config.host && config.host !== "0.0.0.0" && config.host !== "::" ? config.host : "127.0.0.1";
    const baseUrl = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
    log(`gateway: listening on ${baseUrl}${GRAPHQL_PATH}`);
    let stopped: Promise<void> | undefined;
    return {
      url: `${baseUrl}${GRAPHQL_PATH}`,
      wsUrl: `${baseUrl.replace(/^http/, "ws")}${GRAPHQL_PATH}`,
      baseUrl,
      apiKey: credentials.apiKey,
      joinToken: credentials.joinToken,
      createProject: (name, role) => createProject(db, name, role),
      stop: () => {
        stopped ??= cleanup();
        return stopped;
      },
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}

const isLoopback = (host: string) => host === "localhost" || host === "::1" || host.startsWith("127.");

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
