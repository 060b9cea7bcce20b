import type { IncomingMessage, Server } from "node:http";
import type { Socket } from "node:net";
import {
  type DocumentNode,
  type ExecutionResult,
  GraphQLError,
  type GraphQLFormattedError,
  type GraphQLSchema,
  parse,
  specifiedRules,
  type ValidationRule,
  validate,
} from "graphql";
import { useServer } from "graphql-ws/use/ws";
import type { WebSocket } from "ws";
import { WebSocketServer } from "ws";
import type { Viewer } from "../auth/authenticate.ts";
import { TooManyAttemptsError, UnauthenticatedError } from "../domain/errors.ts";
import type { HostAllowList } from "../http/host-guard.ts";
import type { GraphQLContext } from "./context.ts";
import { costErrors, maskSuggestions, type OperationLimits } from "./limits.ts";
import { createLoaders } from "./loaders.ts";
import type { RequestLimiter } from "./request-limiter.ts";
import { createSharedSubscribe, type ResultSink, SharedDelivery } from "./shared-subscribe.ts";
import { ValidDocuments } from "./valid-documents.ts";
import { type FrameLimits, FrameWriter } from "./ws-frames.ts";

type ConnectionExtra = { viewer?: Viewer; operations?: Set<string> };

/** A live socket is re-checked this often, so a revoked key or ended session loses its sockets too. */
const RECHECK_EVERY_MS = 30_000;
/** Sockets are pinged this often; one that has not answered the last ping by the next is ended. */
const KEEP_ALIVE_MS = 12_000;
const KEEP_ALIVE_SLICES = 12;

/**
 * graphql-ws on the HTTP server's port and path. The upgrade must name an allowed Host, and a
 * browser's Origin must be this server or an allowed host (403 otherwise). The key comes from
 * the upgrade request's Authorization header or connectionParams.authorization; a connection
 * without a valid key or session is closed (4403) before any operation, and one whose key or
 * session stops being valid is closed (4403) within RECHECK_EVERY_MS.
 *
 * Operations meet the same limits as over HTTP (tokens, Armor's validation rules, the list
 * cost with the operation's variables, the per-key request rate, suggestions masked), and
 * one socket holds at most `maxOperationsPerSocket` live operations.
 */
export function attachWebSockets(options: {
  server: Server;
  path: string;
  schema: GraphQLSchema;
  validationRules: ValidationRule[];
  limits: OperationLimits;
  requestLimiter: RequestLimiter;
  /** @default 25 */
  maxOperationsPerSocket?: number;
  allowedHosts: HostAllowList;
  /** `clientAddress` null: a re-check of a credential already accepted (no failure limit). */
  authenticateWith: (authorization: string | undefined, clientAddress: string | null) => Promise<Viewer>;
  /** The client's address: the socket's peer, or what a trusted proxy forwarded. */
  clientAddressOf: (request: IncomingMessage) => string;
  context: (viewer: Viewer, clientAddress: string) => GraphQLContext;
  formatError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;
  log: (line: string) => void;
  /** @default 30_000 */
  recheckEveryMs?: number;
  /** @default 12_000 */
  keepAliveMs?: number;
  /** What may wait to be written to one socket (see FrameWriter). */
  frameLimits?: FrameLimits;
}) {
  // graphql-ws does not go through Apollo, so its errors get the same formatting here.
  const format = (errors: readonly GraphQLError[]) =>
    maskSuggestions(errors).map((e) => options.formatError(e.toJSON(), e));
  const maxOperations = options.maxOperationsPerSocket ?? 25;
  const wss = new WebSocketServer({
    server: options.server,
    path: options.path,
    maxPayload: 1024 * 1024,
    verifyClient: ({ origin, req }, done) => {
      const host = req.headers.host;
      if (!options.allowedHosts.allows(host)) return done(false, 421, "Misdirected Request");
      if (!options.allowedHosts.allowsOrigin(origin, host)) return done(false, 403, "Forbidden");
      done(true);
    },
  });
  const live = new Map<WebSocket, string | undefined>();
  const rules = [...specifiedRules, ...options.validationRules];
  const documents = new ValidDocuments((query) => {
    let document: DocumentNode;
    try {
      document = parse(query, { maxTokens: options.limits.maxTokens });
    } catch (error) {
      return withCode(
        [error instanceof GraphQLError ? error : new GraphQLError("cannot parse the query")],
        "GRAPHQL_PARSE_FAILED",
      );
    }
    // onError masks suggestions and formats these; the codes are the ones Apollo gives over HTTP.
    const invalid = validate(options.schema, document, rules);
    return invalid.length > 0 ? withCode(invalid, "GRAPHQL_VALIDATION_FAILED") : document;
  });
  // A subscription's events skip graphql-ws's per-subscriber loop (issue 13): each result is
  // encoded once, however many subscribers share it, and written with the subscription's id
  // spliced in. The frames are byte for byte what graphql-ws would send.
  const writer = new FrameWriter(options.frameLimits);
  const encoded = new WeakMap<ExecutionResult, Buffer>();
  const nextPayload = (result: ExecutionResult) => {
    let bytes = encoded.get(result);
    if (!bytes) {
      const payload = result.errors ? { ...result, errors: format(result.errors) } : result;
      bytes = Buffer.from(`,"type":"next","payload":${JSON.stringify(payload)}}`);
      encoded.set(result, bytes);
    }
    return bytes;
  };
  const framesTo = (socket: WebSocket, tcp: Socket, id: string): ResultSink => {
    const head = Buffer.from(`{"id":${JSON.stringify(id)}`);
    const sink: ResultSink = {
      next: (result, droppable) => {
        const payload = nextPayload(result);
        writer.push(socket, tcp, Buffer.concat([head, payload], head.length + payload.length), sink, droppable);
      },
      end: (how) => (how === "ended" ? writer.flush(socket) : writer.drop(socket, sink)),
    };
    return sink;
  };
  const disposable = useServer<Record<string, unknown> | undefined, ConnectionExtra>(
    {
      schema: options.schema,
      // One execution per event and distinct operation, not one per subscriber (issue 13),
      // each with loaders of its own: an event is a request, and must not see an earlier one's reads.
      subscribe: createSharedSubscribe((context) => {
        const c = context as GraphQLContext;
        return { ...c, loaders: createLoaders(c.domain) } satisfies GraphQLContext;
      }),
      onSubscribe: async (ctx, id, payload) => {
        const viewer = ctx.extra.viewer;
        if (!viewer) return [new GraphQLError("missing API key", { extensions: { code: "UNAUTHENTICATED" } })];
        const limited = await options.requestLimiter.take(viewer);
        if (limited) return [limited];
        ctx.extra.operations ??= new Set();
        const operations = ctx.extra.operations;
        if (operations.size >= maxOperations)
          return [
            new GraphQLError(`at most ${maxOperations} live operations per connection`, {
              extensions: { code: "GRAPHQL_VALIDATION_FAILED" },
            }),
          ];
        const document = documents.get(payload.query);
        if (Array.isArray(document)) return document;
        const tooCostly = costErrors(
          options.schema,
          document,
          payload.operationName,
          payload.variables,
          options.limits,
        );
        if (tooCostly.length > 0) return tooCostly;
        operations.add(id);
        return {
          schema: options.schema,
          document,
          operationName: payload.operationName,
          variableValues: payload.variables,
        };
      },
      onComplete: (ctx, id) => {
        ctx.extra.operations?.delete(id);
      },
      onConnect: async (ctx) => {
        const fromParams = ctx.connectionParams?.authorization;
        const header = typeof fromParams === "string" ? fromParams : ctx.extra.request.headers.authorization;
        try {
          ctx.extra.viewer = await options.authenticateWith(header, options.clientAddressOf(ctx.extra.request));
          live.set(ctx.extra.socket, header);
          ctx.extra.socket.once("close", () => live.delete(ctx.extra.socket));
          return true;
        } catch (error) {
          if (!(error instanceof UnauthenticatedError || error instanceof TooManyAttemptsError))
            options.log(`websocket: authentication failed: ${String(error)}`);
          return false;
        }
      },
      onOperation: (ctx, id, _payload, _args, result) =>
        result instanceof SharedDelivery
          ? result.deliverTo(framesTo(ctx.extra.socket, ctx.extra.request.socket, id))
          : undefined,
      // Results of sources that are not a Mailbox (studyUpdated, sweepUpdated) still come here.
      onNext: (_ctx, _id, _payload, _args, result) =>
        result.errors ? { ...result, errors: format(result.errors) } : undefined,
      onError: (_ctx, _id, _payload, errors) => format(errors),
      context: (ctx) => {
        const viewer = ctx.extra.viewer;
        if (!viewer) throw new UnauthenticatedError("missing API key");
        return options.context(viewer, options.clientAddressOf(ctx.extra.request));
      },
    },
    wss,
    // graphql-ws's keep-alive is a timer per socket (and another per ping): one sweep below.
    0,
  );
  // Once per credential, not per socket: 10,000 sockets on one key are one check, not 10,000
  // arriving together at an expired key cache.
  const recheck = setInterval(() => {
    const byCredential = new Map<string | undefined, WebSocket[]>();
    for (const [socket, authorization] of live) {
      const sockets = byCredential.get(authorization);
      if (sockets) sockets.push(socket);
      else byCredential.set(authorization, [socket]);
    }
    for (const [authorization, sockets] of byCredential) {
      options.authenticateWith(authorization, null).catch((error: unknown) => {
        if (!(error instanceof UnauthenticatedError)) return;
        for (const socket of sockets) {
          live.delete(socket);
          socket.close(4403, "Forbidden");
        }
      });
    }
  }, options.recheckEveryMs ?? RECHECK_EVERY_MS);
  recheck.unref();
  // Each socket is pinged once per keepAliveMs, by one timer for all of them: a slice of the
  // sockets per tick, so thousands of pings (and their pongs) do not all land in one tick.
  const answered = new WeakSet<WebSocket>();
  const slices = Array.from({ length: KEEP_ALIVE_SLICES }, () => new Set<WebSocket>());
  let connections = 0;
  wss.on("connection", (socket: WebSocket) => {
    const slice = slices[connections++ % KEEP_ALIVE_SLICES] as Set<WebSocket>;
    slice.add(socket);
    answered.add(socket);
    socket.on("pong", () => answered.add(socket));
    socket.once("close", () => slice.delete(socket));
  });
  let tick = 0;
  const keepAlive = setInterval(
    () => {
      for (const socket of slices[tick++ % KEEP_ALIVE_SLICES] as Set<WebSocket>) {
        if (socket.readyState !== socket.OPEN) continue;
        if (!answered.has(socket)) {
          socket.terminate();
          continue;
        }
        answered.delete(socket);
        socket.ping();
      }
    },
    (options.keepAliveMs ?? KEEP_ALIVE_MS) / KEEP_ALIVE_SLICES,
  );
  keepAlive.unref();
  return {
    async close() {
      clearInterval(recheck);
      clearInterval(keepAlive);
      await disposable.dispose();
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

/** graphql-js leaves parse and validation errors without a code; formatError masks those. */
function withCode(errors: readonly GraphQLError[], code: string): GraphQLError[] {
  return errors.map(
    (e) =>
      new GraphQLError(e.message, {
        nodes: e.nodes,
        source: e.source,
        positions: e.positions,
        extensions: { ...e.extensions, code: e.extensions.code ?? code },
      }),
  );
}
