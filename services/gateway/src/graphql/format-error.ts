import { unwrapResolverError } from "@apollo/server/errors";
import { GraphQLError, type GraphQLFormattedError } from "graphql";
import { DomainError } from "../domain/errors.ts";

/**
 * Domain errors go out with their code (and field / issues); GraphQL's own errors (syntax,
 * validation, limits) as Apollo made them; everything else is masked and logged, so no
 * internal message or stack reaches a client.
 */
export function createFormatError(log: (line: string) => void) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = unwrapResolverError(error);
    if (original instanceof DomainError) {
      return {
        message: original.message,
        ...(formatted.locations ? { locations: formatted.locations } : {}),
        ...(formatted.path ? { path: formatted.path } : {}),
        extensions: { code: original.code, ...original.extensions() },
      };
    }
    const code =
      original instanceof GraphQLError ? (original.extensions.code ?? formatted.extensions?.code) : undefined;
    if (typeof code === "string" && code !== "INTERNAL_SERVER_ERROR") {
      const { stacktrace: _, ...extensions } = formatted.extensions ?? {};
      return { ...formatted, extensions: { ...extensions, code } };
    }
    log(`graphql: internal error${formatted.path ? ` at ${formatted.path.join(".")}` : ""}: ${describe(original)}`);
    return {
      message: "Internal server error",
      ...(formatted.path ? { path: formatted.path } : {}),
      extensions: { code: "INTERNAL_SERVER_ERROR" },
    };
  };
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.stack ?? `${error.name}: ${error.message}`;
  return String(error);
}
