import { type ApolloServerPlugin, type GraphQLRequestContext, HeaderMap } from "@apollo/server";
import { InMemoryLRUCache } from "@apollo/utils.keyvaluecache";
import { type Db, dataVersion, followDataVersion } from "@graft/db";
import {
  type DocumentNode,
  type FormattedExecutionResult,
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
 * The data version for a request that has just arrived. On PGlite it is kept in memory,
 * exact with no statement (`followDataVersion`: every commit is this process's own, and its
 * version is known before the commit's promise resolves); until that is set up, and if it
 * cannot be, it is read like on PostgreSQL.
 *
 * On PostgreSQL it is read, one statement for all the requests that wait together. A request
 * only joins a read that had not been sent when it arrived: one already in flight may have
 * seen the database before a write this caller already saw committed (read-your-writes).
 */
export class DataVersionReader {
  private inFlight: Promise<string> | null = null;
  private queued: Promise<string> | null = null;
  private followed: (() => string) | null = null;

  constructor(private readonly db: Db) {
    followDataVersion(db).then(
      (current) => {
        this.followed = current;
      },
      () => {}, // reads stay right, only slower
    );
  }

  read(): string | Promise<string> {
    if (this.followed) return this.followed();
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
    const read = dataVersion(this.db).finally(() => {
      if (this.inFlight === read) this.inFlight = null;
    });
    this.inFlight = read;
    return read;
  }
}

export interface ResponseCacheOptions {
  /** Bytes of cached answers (keys and overhead included) a replica keeps. @default 32 MiB */
  maxBytes?: number;
}

/** Entries are only found under their data version; the TTL just lets idle ones go. */
const ENTRY_TTL_SECONDS = 300;
/** What lru-cache and a 64-character key cost per entry beyond the answer itself. */
const ENTRY_OVERHEAD_BYTES = 256;
/** An entry holds its answer twice: as text, and as the object graph it was built from (a few times the text). */
const OBJECT_BYTES_PER_CHAR = 3;
/** Longest a request waits for another's execution of the same key before executing itself. */
const MAX_FLIGHT_WAIT_MS = 10_000;

/** A stored answer: the `data` object, frozen, and its JSON text (what every hit sends). */
interface Entry {
  data: Record<string, unknown>;
  text: string;
  storedAt: number;
}

/** What `responseCache` adds to the Apollo Server: its plugins and the body serializer that knows stored answers. */
export interface ResponseCache {
  plugins: ApolloServerPlugin<GraphQLContext>[];
  /** Apollo's `stringifyResult`: a stored answer's text as it was serialized once, anything else as Apollo would. */
  stringifyResult: (result: FormattedExecutionResult) => string;
}

/**
 * A cache of whole answers, keyed by the caller's project and role and by the data version,
 * for operations that select only CACHEABLE_FIELDS. Authentication, the request limiter and
 * the cost limit run before it (didResolveOperation), so a hit is counted and limited as any
 * request is; it only skips execution and serialization: a hit sends the text stored with the
 * answer (Apollo's own response-cache plugin parses and re-serializes it on every hit, which
 * was a quarter of a cached page's time).
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
export function responseCache(db: Db, options: ResponseCacheOptions = {}): ResponseCache {
  const maxBytes = options.maxBytes ?? 32 * 2 ** 20;
  const versions = new DataVersionReader(db);
  // Bounded by bytes, each entry's overhead counted (so also by count): hostile variables (a
  // thousand page cursors) can only evict other entries.
  const entries = new InMemoryLRUCache<Entry>({
    maxSize: maxBytes,
    maxEntrySize: Math.floor(maxBytes / 8),
    sizeCalculation: (entry: Entry, key: string) =>
      entry.text.length * (1 + OBJECT_BYTES_PER_CHAR) + key.length + ENTRY_OVERHEAD_BYTES,
  });
  // Stored answers' text by their data object: a hit hands Apollo the object, its serializer finds the text.
  const textOf = new WeakMap<object, string>();
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
  // Executions in progress by key: waiters resume once the leader's answer is stored (or not).
  const flights = new Map<string, Promise<void>>();
  const lead = (key: string): (() => void) => {
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
    return end;
  };

  const plugin: ApolloServerPlugin<GraphQLContext> = {
    async requestDidStart() {
      let key: string | null = null;
      let hit: Entry | undefined;
      let endFlight: (() => void) | null = null;
      return {
        async responseForOperation(rc) {
          // Queries only: selectsOnlyCacheableFields refuses mutations and subscriptions.
          if (!cacheable(rc)) return null;
          const viewer = rc.contextValue.viewer;
          if (!viewer) return null;
          let version: string;
          try {
            version = await versions.read();
          } catch {
            return null; // no version, no cache: the request executes as if uncached
          }
          // Who may read what: the project decides which rows are visible, the role what a key may do.
          key = [
            viewer.projectId,
            viewer.role,
            version,
            rc.operationName ?? "",
            JSON.stringify(rc.request.variables ?? {}),
            rc.source,
          ].join("\n");
          const flight = flights.get(key);
          if (flight) await flight;
          hit = await entries.get(key);
          if (!hit) {
            if (!flights.has(key)) endFlight = lead(key);
            return null;
          }
          return {
            body: { kind: "single", singleResult: { data: hit.data } },
            http: { status: undefined, headers: new HeaderMap() },
          };
        },
        async willSendResponse(rc) {
          if (hit) {
            // The entry's age in seconds, as HTTP caches say it (tests and the bench count hits by it).
            rc.response.http.headers.set("age", String(Math.round((Date.now() - hit.storedAt) / 1000)));
            return;
          }
          if (key === null) return;
          try {
            const body = rc.response.body;
            if (body.kind !== "single") return;
            const { data, errors, extensions } = body.singleResult;
            if (errors || extensions || !data) return;
            const text = JSON.stringify(deepFreeze(data));
            textOf.set(data, text);
            await entries.set(key, { data, text, storedAt: Date.now() }, { ttl: ENTRY_TTL_SECONDS });
          } finally {
            endFlight?.();
          }
        },
      };
    },
  };

  const stringifyResult = (result: FormattedExecutionResult): string => {
    const text = !result.errors && !result.extensions && result.data ? textOf.get(result.data) : undefined;
    // Byte for byte what Apollo's default (prettyJSONStringify) writes for the same result.
    return text === undefined ? `${JSON.stringify(result)}\n` : `{"data":${text}}\n`;
  };
  return { plugins: [plugin], stringifyResult };
}

/**
 * Freezes a stored answer all the way down: every later hit hands out this same object, so a
 * plugin that tried to change it would otherwise change the answers of others.
 */
function deepFreeze<T>(value: T): T {
  if (value === null || typeof value !== "object" || Object.isFrozen(value)) return value;
  for (const inner of Object.values(value)) deepFreeze(inner);
  return Object.freeze(value);
}
