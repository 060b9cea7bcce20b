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

export interface GraphQLResult<T = Record<string, unknown>> {
  status: number;
  data: T | null | undefined;
  errors: GraphQLErrorShape[] | undefined;
}

export interface GraphQLErrorShape {
  message: string;
  path?: (string | number)[];
  extensions?: { code?: string; field?: string; [key: string]: unknown };
}

export interface GatewaySetup {
  gateway: Gateway;
  nats: NatsServer;
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
  const authHeader = (key: string | null | undefined): Record<string, string> => {
    const value = key === undefined ? gateway.apiKey : key;
    return value === null ? {} : { authorization: `Bearer ${value}` };
  };
  const gql = async <T>(query: string, variables: Record<string, unknown> = {}, key?: string | null) => {
    const response = await fetch(gateway.url, {
      method: "POST",
      headers: { "content-type": "application/json", ...authHeader(key) },
      body: JSON.stringify({ query, variables }),
    });
    const text = await response.text();
    let body: { data?: T | null; errors?: GraphQLErrorShape[] };
    try {
      body = JSON.parse(text);
    } catch {
      throw new Error(`gateway answered HTTP ${response.status} with non-JSON: ${text.slice(0, 500)}`);
    }
    return { status: response.status, data: body.data, errors: body.errors };
  };
  return {
    gateway,
    nats,
    gql,
    async gqlData<T>(query: string, variables?: Record<string, unknown>, key?: string) {
      const result = await gql<T>(query, variables, key);
      if (result.errors?.length || !result.data) {
        throw new Error(`GraphQL errors (HTTP ${result.status}): ${JSON.stringify(result.errors, null, 2)}`);
      }
      return result.data;
    },
    async upload(bytes, key) {
      const response = await fetch(`${gateway.baseUrl}/uploads`, {
        method: "POST",
        headers: { "content-type": "application/zip", ...authHeader(key) },
        body: bytes as Uint8Array<ArrayBuffer>,
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
