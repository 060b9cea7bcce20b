import type { ApolloServerPlugin, GraphQLRequestContext } from "@apollo/server";
import responseCachePlugin from "@apollo/server-plugin-response-cache";
import { InMemoryLRUCache } from "@apollo/utils.keyvaluecache";
import { type Db, dataVersion } from "@graft/db";
import {
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLNamedType,
  type GraphQLSchema,
  getNamedType,
  isObjectType,
  Kind,
  type SelectionSetNode,
} from "graphql";
import type { GraphQLContext } from "./context.ts";

/**
 * The only fields a cached answer may hold: each a pure function of rows whose every change
 * moves `data_version` (migration 0016: runs, run_epochs, models, datasets, experiments, and
 * trainer names). An operation is cached only when every field it selects is listed here,
 * scalars included; anything else (run progress and trainer status from memory or
 * heartbeats, API keys, series, lineage, ...) makes the whole answer uncached. Listing a
 * field whose value reads another table, the clock or memory would serve stale answers.
 */
const CACHEABLE_FIELDS: Readonly<Record<string, ReadonlySet<string>>> = {
  Query: new Set(["runs", "run", "models", "model", "datasets", "dataset", "experiments", "experiment"]),
  RunConnection: new Set(["totalCount", "pageInfo", "edges"]),
  RunEdge: new Set(["cursor", "node"]),
  ModelConnection: new Set(["totalCount", "pageInfo", "edges"]),
  ModelEdge: new Set(["cursor", "node"]),
  PageInfo: new Set(["hasNextPage", "hasPreviousPage", "startCursor", "endCursor"]),
  Run: new Set([
    "id",
    "name",
    "status",
    "pool",
    "baseModel",
    "dataset",
    "experiment",
    "trainer",
    "hyperparameters",
    "bestEpoch",
    "attemptCount",
    "trainingPath",
    "outputModel",
    "error",
    "queuedAt",
    "assignedAt",
    "startedAt",
    "finishedAt",
    "controlKind",
  ]),
  // Id and name only: its status, runs and heartbeats change without a bump.
  Trainer: new Set(["id", "name"]),
  Model: new Set([
    "id",
    "name",
    "kind",
    "architecture",
    "task",
    "inputShape",
    "labels",
    "paramCount",
    "sizeBytes",
    "createdAt",
  ]),
  Dataset: new Set(["id", "name", "version", "task", "labels", "sampleCount", "builtin"]),
  Experiment: new Set(["id", "name", "objectiveMetric", "objectiveDirection"]),
  Hyperparameters: new Set(["epochs", "batchSize", "optimizer", "learningRate", "freezeStrategy", "freezeLayers"]),
  EpochMetrics: new Set([
    "epoch",
    "loss",
    "accuracy",
    "valLoss",
    "valAccuracy",
    "learningRate",
    "durationMs",
    "samplesPerSecond",
    "trainableParams",
    "frozenLayers",
    "attempt",
    "recordedAt",
  ]),
  RunError: new Set(["code", "message"]),
};

/** Whether every field the operation can select is in CACHEABLE_FIELDS (all branches of @skip/@include). */
export function selectsOnlyCacheableFields(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
): boolean {
  const operation = document.definitions.find(
    (d) => d.kind === Kind.OPERATION_DEFINITION && (!operationName || d.name?.value === operationName),
  );
  if (operation?.kind !== Kind.OPERATION_DEFINITION || operation.operation !== "query") return false;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  const typeNamed = (name: string) => schema.getType(name) ?? undefined;
  // Validation has passed: fragments are acyclic and every field exists on its type.
  const visit = (type: GraphQLNamedType | undefined, selections: SelectionSetNode): boolean =>
    selections.selections.every((s) => {
      if (s.kind === Kind.FRAGMENT_SPREAD) {
        const fragment = fragments.get(s.name.value);
        return fragment !== undefined && visit(typeNamed(fragment.typeCondition.name.value), fragment.selectionSet);
      }
      if (s.kind === Kind.INLINE_FRAGMENT)
        return visit(s.typeCondition ? typeNamed(s.typeCondition.name.value) : type, s.selectionSet);
      if (s.name.value === "__typename") return true;
      // Interfaces and unions are never listed: their fields could resolve on any implementation.
      if (!isObjectType(type) || !CACHEABLE_FIELDS[type.name]?.has(s.name.value)) return false;
      const field = type.getFields()[s.name.value];
      return !s.selectionSet || (field !== undefined && visit(getNamedType(field.type), s.selectionSet));
    });
  return visit(schema.getQueryType() ?? undefined, operation.selectionSet);
}

/**
 * Reads `data_version`, one statement for all the requests that wait together. A request only
 * joins a read that had not been sent when it arrived: one already in flight may have seen
 * the database before a write this caller already saw committed (read-your-writes).
 */
export class DataVersionReader {
  private inFlight: Promise<string> | null = null;
  private queued: Promise<string> | null = null;

  constructor(private readonly db: Db) {}

  read(): Promise<string> {
    if (!this.inFlight) return this.start();
    this.queued ??= this.inFlight
      .catch(() => {})
      .then(() => {
        this.queued = null;
        return this.start();
      });
    return this.queued;
  }

  private start(): Promise<string> {
    const read = this.query().finally(() => {
      if (this.inFlight === read) this.inFlight = null;
    });
    this.inFlight = read;
    return read;
  }

  private query(): Promise<string> {
    return dataVersion(this.db);
  }
}

export interface ResponseCacheOptions {
  /** Bytes of cached answers (keys and overhead included) a replica keeps. @default 32 MiB */
  maxBytes?: number;
}

/** Entries are only found under their data version; the TTL just lets idle ones go. */
const ENTRY_TTL_SECONDS = 300;
/** What lru-cache and a 64-character key cost per entry beyond the answer's text. */
const ENTRY_OVERHEAD_BYTES = 256;
/** Longest a request waits for another's execution of the same key before executing itself. */
const MAX_FLIGHT_WAIT_MS = 10_000;

/**
 * Apollo's response cache, keyed by the caller's project and role and by the data version,
 * for operations that select only CACHEABLE_FIELDS. Authentication, the request limiter and
 * the cost limit run before it (didResolveOperation), so a hit is counted and limited as any
 * request is; it only skips execution.
 *
 * Why an answer served from here is one an uncached request could have returned: the request
 * reads the version v before it executes, and the answer is stored under v. Every write to a
 * cached table moves the version in its own transaction, so the data a request executing
 * after reading v sees is at least as new as v. A write W committing during that execution
 * makes the version v' > v; the answer stored under v may or may not include W (as an
 * uncached request then could). A later request that reads v read it before W committed, and
 * it is served after the entry was stored, so after W committed: within that request's own
 * span, either answer is right. A request whose read starts after W's commit sees v' (or a
 * later one) and never finds the entry stored under v. Replicas share nothing but the
 * database, which is what makes this hold across them and for every writer.
 *
 * Requests that miss on the same key at once wait for the first one's execution (a "flight")
 * and are then answered from its entry: with a write every 100 ms and a page that takes longer
 * than that to build under load, every request would otherwise miss, each building the page.
 * Waiting is right for the same reason as a hit: a waiter read v after it arrived, so nothing
 * cached changed between the leader's read of v and the waiter's arrival.
 */
export function responseCache(db: Db, options: ResponseCacheOptions = {}): ApolloServerPlugin<GraphQLContext>[] {
  const maxBytes = options.maxBytes ?? 32 * 2 ** 20;
  const versions = new DataVersionReader(db);
  // The parsed document is Apollo's cached object for a given query text: judged once.
  const judged = new WeakMap<DocumentNode, Map<string, boolean>>();
  const cacheable = (rc: GraphQLRequestContext<GraphQLContext>) => {
    if (!rc.document || !rc.contextValue.viewer) return false;
    let byName = judged.get(rc.document);
    if (!byName) {
      byName = new Map();
      judged.set(rc.document, byName);
    }
    const name = rc.operationName ?? "";
    let verdict = byName.get(name);
    if (verdict === undefined) {
      verdict = selectsOnlyCacheableFields(rc.schema, rc.document, rc.operationName);
      byName.set(name, verdict);
    }
    return verdict;
  };
  // The version each request read, once, before executing; absent when not cached.
  const versionOf = new WeakMap<GraphQLContext, string>();
  const sessionOf = (viewer: GraphQLContext["viewer"]) => (viewer ? `${viewer.projectId}/${viewer.role}` : null);
  // Executions in progress by key, and each leading request's way to end its flight.
  const flights = new Map<string, Promise<void>>();
  const leading = new WeakMap<GraphQLContext, () => void>();
  const joinOrLead = async (rc: GraphQLRequestContext<GraphQLContext>, version: string) => {
    const key = [
      sessionOf(rc.contextValue.viewer),
      version,
      rc.operationName,
      JSON.stringify(rc.request.variables ?? {}),
      rc.source,
    ].join("\n");
    const flight = flights.get(key);
    if (flight) return flight;
    let land = () => {};
    const leader = new Promise<void>((resolve) => {
      land = resolve;
    });
    // A leader that never answers (it always does) cannot hold the others past this.
    const timer = setTimeout(() => end(), MAX_FLIGHT_WAIT_MS);
    const end = () => {
      clearTimeout(timer);
      if (flights.get(key) === leader) flights.delete(key);
      land();
    };
    flights.set(key, leader);
    leading.set(rc.contextValue, end);
  };
  const cachePlugin = responseCachePlugin<GraphQLContext>({
    // Bounded by bytes, each entry's overhead counted (so also by count): hostile variables (a
    // thousand page cursors) can only evict other entries.
    cache: new InMemoryLRUCache<string>({
      maxSize: maxBytes,
      maxEntrySize: Math.floor(maxBytes / 8),
      sizeCalculation: (value: string, key: string) => value.length + key.length + ENTRY_OVERHEAD_BYTES,
    }),
    // Who may read what: the project decides which rows are visible, the role what a key may do.
    sessionId: async ({ contextValue: { viewer } }) => sessionOf(viewer),
    extraCacheKeyData: async (rc) => {
      if (!cacheable(rc)) return null;
      try {
        const version = await versions.read();
        versionOf.set(rc.contextValue, version);
        rc.overallCachePolicy.replace({ maxAge: ENTRY_TTL_SECONDS, scope: "PRIVATE" });
        return version;
      } catch {
        return null; // no version, no cache: the request executes as if uncached
      }
    },
    shouldReadFromCache: async (rc) => {
      const version = versionOf.get(rc.contextValue);
      if (version === undefined) return false;
      await joinOrLead(rc, version);
      return true;
    },
    shouldWriteToCache: async ({ contextValue }) => versionOf.has(contextValue),
  });
  const endFlights: ApolloServerPlugin<GraphQLContext> = {
    async requestDidStart() {
      return {
        async willSendResponse({ contextValue }) {
          const end = leading.get(contextValue);
          // After the cache plugin's store (its microtasks), so the waiters find the entry.
          if (end) setImmediate(end);
        },
      };
    },
  };
  return [cachePlugin, endFlights];
}
