import { type ApolloServerPlugin, HeaderMap } from "@apollo/server";
import { GraphQLError, type OperationDefinitionNode } from "graphql";
import { TooManyAttemptsError } from "../domain/errors.ts";
import type { GraphQLContext } from "./context.ts";

/** Mutations that carry their own credential in an argument, so they need no API key. */
const KEYLESS_MUTATIONS = new Set(["registerTrainer", "createSession", "__typename"]);

/**
 * The only operations allowed without an API key: a trainer joining with its join token, and
 * a dashboard login trading an API key (in the argument) for a session.
 */
export function isKeylessOperation(operation: OperationDefinitionNode | null | undefined): boolean {
  if (operation?.operation !== "mutation") return false;
  const fields = operation.selectionSet.selections;
  return fields.length > 0 && fields.every((s) => s.kind === "Field" && KEYLESS_MUTATIONS.has(s.name.value));
}

/**
 * Refuses every HTTP operation without a valid API key, before any resolver runs (401); 429
 * when the key was not even looked up, its address having failed too often (a keyless
 * operation from that address still runs: its own limits apply).
 */
export const requireApiKey: ApolloServerPlugin<GraphQLContext> = {
  async requestDidStart() {
    return {
      async didResolveOperation({ contextValue, operation }) {
        if (contextValue.viewer || isKeylessOperation(operation)) return;
        const { authError } = contextValue;
        if (authError instanceof TooManyAttemptsError) {
          throw new GraphQLError(authError.message, {
            extensions: {
              code: authError.code,
              retryAfter: authError.retryAfterSeconds,
              http: { status: 429, headers: new HeaderMap([["retry-after", String(authError.retryAfterSeconds)]]) },
            },
          });
        }
        throw new GraphQLError(contextValue.authError?.message ?? "missing API key", {
          extensions: { code: "UNAUTHENTICATED", http: { status: 401 } },
        });
      },
    };
  },
};
