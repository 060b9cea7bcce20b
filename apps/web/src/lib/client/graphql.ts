import { GraftApiError, GraftFetcher, type GraphQLDocument } from "@graft/client";

// The browser calls the dashboard's own proxy, which adds the session's key: none is sent from here.
const proxy = new GraftFetcher({
  url: "/api/graphql",
  fetch: (input, init) => fetch(input, { ...init, cache: "no-store" }),
  timeoutMs: null,
});

/**
 * Runs an operation through the dashboard's /api/graphql proxy. Errors are GraftError's; an
 * UNAUTHENTICATED answer also sends the browser to /login.
 */
export async function gql<TResult, TVariables>(
  document: GraphQLDocument<TResult, TVariables>,
  variables?: TVariables,
): Promise<TResult> {
  try {
    return await proxy.request(document, variables);
  } catch (error) {
    if (error instanceof GraftApiError && error.code === "UNAUTHENTICATED" && typeof window !== "undefined") {
      window.location.assign(`/login?next=${encodeURIComponent(window.location.pathname + window.location.search)}`);
    }
    throw error;
  }
}
