import { homedir } from "node:os";
import { resolve } from "node:path";
import { z } from "zod";

const bool = z
  .enum(["true", "false", "1", "0", ""])
  .optional()
  .transform((v) => v === "true" || v === "1");
const optional = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v === "" ? undefined : v));

/** Every variable the gateway reads; documented in .env.example. The only reader of process.env. */
export const envSchema = z.object({
  /** Where local data lives (PGlite, saved local key). @default ./.graft */
  GRAFT_HOME: z.string().default("./.graft"),
  GATEWAY_PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  /** Interface to listen on. @default 127.0.0.1 */
  GATEWAY_HOST: z.string().default("127.0.0.1"),
  NATS_URL: optional,
  /**
   * The NATS operator/account keys and the gateway's users (JSON, mode 0600), as written by
   * `graft-nats-init` or on the first `npm start`. @default GRAFT_HOME/nats-auth.json
   */
  GRAFT_NATS_AUTH: optional,
  /** Ack wait of the pools' job consumers. @default 30000 */
  GRAFT_JOB_ACK_WAIT_MS: z.coerce.number().int().positive().optional(),
  /** PostgreSQL; PGlite under GRAFT_HOME/pglite when unset. */
  DATABASE_URL: optional,
  GRAFT_BOOTSTRAP_KEY: optional,
  GRAFT_JOIN_TOKEN: optional,
  GRAFT_ALLOW_PRIVATE_URLS: bool,
  GRAFT_MAX_UPLOAD_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(256 * 2 ** 20),
  /** Uploads one API key may stream at once. @default 2 */
  GRAFT_MAX_CONCURRENT_UPLOADS: z.coerce.number().int().positive().default(2),
  /** GraphQL operations and uploads per API key per minute, over every gateway replica. @default 1200 */
  GRAFT_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().positive().default(1200),
  /** Time a client has to send its request headers (408 past it). @default 10000 */
  GRAFT_HEADERS_TIMEOUT_MS: z.coerce.number().int().min(1000).max(300_000).default(10_000),
  /** Live graphql-ws operations (subscriptions) one socket may hold. @default 25 */
  GRAFT_MAX_OPERATIONS_PER_SOCKET: z.coerce.number().int().positive().max(10_000).default(25),
  /** A claimed upload whose mutation has not ended after this long is free again (its gateway died). @default 900000 */
  GRAFT_UPLOAD_CLAIM_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .positive()
    .default(15 * 60_000),
  /** Refused or dead-lettered events recorded per trainer per day; more are counted in the log only. @default 1000 */
  GRAFT_MAX_EVENT_DROPS_PER_TRAINER: z.coerce.number().int().positive().default(1000),
  /** Answer introspection (__schema, __type). @default false */
  GRAFT_INTROSPECTION: bool,
  GRAFT_TRAINER_OFFLINE_AFTER_MS: z.coerce.number().int().positive().optional(),
  /** Comma-separated Host names (name or name:port, `*` for any). @default loopback names on GATEWAY_PORT */
  GRAFT_ALLOWED_HOSTS: optional.transform((v) =>
    v
      ?.split(",")
      .map((h) => h.trim())
      .filter(Boolean),
  ),
  /** Dashboard sessions end after this many minutes unused. @default 480 */
  GRAFT_SESSION_IDLE_MINUTES: z.coerce.number().int().positive().default(480),
  /** ...and this many hours after login in any case. @default 168 */
  GRAFT_SESSION_MAX_HOURS: z.coerce.number().int().positive().default(168),
  /**
   * A replica serves a valid API key this long without reading it again; a key revoked on
   * another replica whose NATS notice was lost is refused within it. 0: read on every request.
   * @default 5000
   */
  GRAFT_API_KEY_CACHE_MS: z.coerce.number().int().min(0).max(60_000).default(5_000),
  /**
   * MiB of GraphQL answers a replica caches (queries reading only database state, never
   * staler than an uncached answer: see graphql/response-cache.ts). 0 turns it off.
   * @default 32
   */
  GRAFT_RESPONSE_CACHE_MB: z.coerce.number().min(0).max(4096).default(32),
  /** Unknown, revoked or expired API keys and sessions one client address may send per minute. @default 100 */
  GRAFT_CREDENTIAL_FAILURES_PER_MINUTE: z.coerce.number().int().positive().default(100),
  /** Comma-separated addresses or CIDR ranges whose X-Forwarded-For names the client. @default loopback */
  GRAFT_TRUSTED_PROXIES: optional.transform((v) =>
    v
      ?.split(",")
      .map((h) => h.trim())
      .filter(Boolean),
  ),
});

export type GatewayEnv = z.infer<typeof envSchema>;

export function readEnv(source: NodeJS.ProcessEnv = process.env): GatewayEnv {
  const env = envSchema.parse(source);
  return { ...env, GRAFT_HOME: resolve(env.GRAFT_HOME.replace(/^~(?=$|\/)/, homedir())) };
}
