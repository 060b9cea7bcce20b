import type { TypedDocumentString } from "../graphql.generated.ts";

export interface GraphQLErrorItem {
  message: string;
  extensions?: { code?: string; field?: string; [key: string]: unknown };
}

/** A GraphQL response with errors; `field` names the input at fault for BAD_USER_INPUT. */
export class GraphQLRequestError extends Error {
  override name = "GraphQLRequestError";
  readonly errors: GraphQLErrorItem[];
  constructor(errors: GraphQLErrorItem[], options?: { cause?: unknown }) {
    super(errors.map((e) => e.message).join("; ") || "Request failed", options);
    this.errors = errors;
  }
  get code(): string | undefined {
    return this.errors[0]?.extensions?.code;
  }
}

/** Runs an operation through the dashboard's /api/graphql proxy, which adds the API key. */
export async function gql<TResult, TVariables>(
  document: TypedDocumentString<TResult, TVariables>,
  variables?: TVariables,
): Promise<TResult> {
  let res: Response;
  try {
    res = await fetch("/api/graphql", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: document.toString(), variables: variables ?? {} }),
      cache: "no-store",
    });
  } catch (cause) {
    throw new GraphQLRequestError([{ message: "The dashboard server is unreachable" }], { cause });
  }
  let payload: { data?: TResult | null; errors?: GraphQLErrorItem[] };
  try {
    payload = await res.json();
  } catch (cause) {
    throw new GraphQLRequestError([{ message: `Unexpected response (HTTP ${res.status})` }], { cause });
  }
  if (payload.errors?.length) {
    const error = new GraphQLRequestError(payload.errors);
    if (error.code === "UNAUTHENTICATED" && typeof window !== "undefined") {
      window.location.assign(`/login?next=${encodeURIComponent(window.location.pathname + window.location.search)}`);
    }
    throw error;
  }
  if (!payload.data) throw new GraphQLRequestError([{ message: `Empty response (HTTP ${res.status})` }]);
  return payload.data;
}
