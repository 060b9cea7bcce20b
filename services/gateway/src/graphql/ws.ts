import type { Server } from "node:http";
import {
  type GraphQLError,
  type GraphQLFormattedError,
  type GraphQLSchema,
  specifiedRules,
  type ValidationRule,
  validate,
} from "graphql";
import { useServer } from "graphql-ws/use/ws";
import { WebSocketServer } from "ws";
import type { Viewer } from "../auth/authenticate.ts";
import { UnauthenticatedError } from "../domain/errors.ts";
import type { GraphQLContext } from "./context.ts";

type ConnectionExtra = { viewer?: Viewer };

/**
 * graphql-ws on the HTTP server's port and path. The key comes from the upgrade request's
 * Authorization header or connectionParams.authorization; a connection without a valid key
 * is closed (4403) before any operation. The Origin is not checked: there are no cookies, so
 * a foreign page cannot ride on a browser's credentials.
 */
export function attachWebSockets(options: {
  server: Server;
  path: string;
  schema: GraphQLSchema;
  validationRules: ValidationRule[];
  authenticateWith: (authorization: string | undefined) => Promise<Viewer>;
  context: (viewer: Viewer) => GraphQLContext;
  formatError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;
  log: (line: string) => void;
}) {
  // graphql-ws does not go through Apollo, so its errors get the same formatting here.
  const format = (errors: readonly GraphQLError[]) => errors.map((e) => options.formatError(e.toJSON(), e));
  const wss = new WebSocketServer({ server: options.server, path: options.path, maxPayload: 1024 * 1024 });
  const rules = [...specifiedRules, ...options.validationRules];
  const disposable = useServer<Record<string, unknown> | undefined, ConnectionExtra>(
    {
      schema: options.schema,
      validate: (schema, document) => validate(schema, document, rules),
      onConnect: async (ctx) => {
        const fromParams = ctx.connectionParams?.authorization;
        const header = typeof fromParams === "string" ? fromParams : ctx.extra.request.headers.authorization;
        try {
          ctx.extra.viewer = await options.authenticateWith(header);
          return true;
        } catch (error) {
          if (!(error instanceof UnauthenticatedError))
            options.log(`websocket: authentication failed: ${String(error)}`);
          return false;
        }
      },
      onNext: (_ctx, _id, _payload, _args, result) =>
        result.errors ? { ...result, errors: format(result.errors) } : undefined,
      onError: (_ctx, _id, _payload, errors) => format(errors),
      context: (ctx) => {
        const viewer = ctx.extra.viewer;
        if (!viewer) throw new UnauthenticatedError("missing API key");
        return options.context(viewer);
      },
    },
    wss,
  );
  return {
    async close() {
      await disposable.dispose();
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
