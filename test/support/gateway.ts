import { GraftFetcher, type GraphQLErrorItem, type GraphQLResponse } from "@graft/client";
import { createTestDatabaseTarget, type TestDatabaseTarget, type TestDriver } from "@graft/db/testing";
import { type Gateway, type GatewayConfig, startGateway } from "@graft/gateway";
import { type NatsServer, startNatsServer } from "@graft/natsd";

/**
 * A real gateway for one test: its own nats-server (temp JetStream store), and PGlite in
 * memory or a fresh PostgreSQL database, as `driver` says.
 *
 *   const { gql, cleanup } = await setup(driver);
 *   try { ... } finally { await cleanup(); }
 */

export type GraphQLResult<T = Record<string, unknown>> = GraphQLResponse<T>;
export type GraphQLErrorShape = GraphQLErrorItem;

export interface GatewaySetup {
  gateway: Gateway;
  nats: NatsServer;
  /** The fresh PostgreSQL database (driver "postgres"), for another replica or straight SQL. */
  databaseUrl: string | undefined;
  /** POSTs one operation with the local key; `key: null` sends none, a string sends that key. */
  gql<T = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
    key?: string | null,
  ): Promise<GraphQLResult<T>>;
  /** Like gql, but throws on errors and returns data. */
  gqlData<T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>, key?: string): Promise<T>;
  /** POST /uploads with the local key (or `key`; null sends none). */
  upload(
    bytes: Uint8Array,
    key?: string | null,
  ): Promise<{ status: number; body: { uploadId?: string; sizeBytes?: number; sha256?: string; error?: string } }>;
  cleanup(): Promise<void>;
}

export async function setup(driver: TestDriver, config: Partial<GatewayConfig> = {}): Promise<GatewaySetup> {
  const nats = await startNatsServer();
  let target: TestDatabaseTarget | undefined;
  let gateway: Gateway;
  try {
    // The gateway opens PGlite in memory by itself (fastest); PostgreSQL needs a fresh database.
    if (driver === "postgres") target = await createTestDatabaseTarget(driver);
    gateway = await startGateway({
      port: 0,
      natsUrl: nats.url,
      natsAuth: nats.auth,
      ...(target?.databaseUrl ? { databaseUrl: target.databaseUrl } : {}),
      builtinModels: [],
      memoryStorage: true,
      allowPrivateUrls: true,
      ...config,
      log: config.log ?? (process.env.GRAFT_TEST_LOG ? (line) => console.error(line) : undefined),
    });
  } catch (error) {
    await target?.cleanup();
    await nats.stop();
    throw error;
  }
  // @graft/client as the local key (undefined), another key, or no key at all (null).
  const client = (key: string | null | undefined) =>
    new GraftFetcher({ url: gateway.url, apiKey: key === undefined ? gateway.apiKey : key, timeoutMs: null });
  const gql = <T>(query: string, variables: Record<string, unknown> = {}, key?: string | null) =>
    client(key).execute<T, Record<string, unknown>>(query, variables);
  return {
    gateway,
    nats,
    databaseUrl: target?.databaseUrl,
    gql,
    async gqlData<T>(query: string, variables?: Record<string, unknown>, key?: string) {
      const result = await gql<T>(query, variables, key);
      if (result.errors?.length || !result.data) {
        throw new Error(`GraphQL errors (HTTP ${result.status}): ${JSON.stringify(result.errors, null, 2)}`);
      }
      return result.data;
    },
    async upload(bytes, key) {
      const uploads = client(key);
      const response = await uploads.send(bytes as Uint8Array<ArrayBuffer>, {
        url: uploads.uploadsUrl,
        contentType: "application/zip",
      });
      return {
        status: response.status,
        body: (await response.json()) as { uploadId?: string; sizeBytes?: number; sha256?: string; error?: string },
      };
    },
    async cleanup() {
      await gateway.stop();
      await nats.stop();
      await target?.cleanup();
    },
  };
}

/** The error codes of a result, for terse assertions. */
export const codes = (result: GraphQLResult<unknown>) => (result.errors ?? []).map((e) => e.extensions?.code);
