/** Server-side configuration of the dashboard; nothing else reads process.env. */
export interface WebEnv {
  /** Gateway GraphQL endpoint. @default "http://127.0.0.1:4000/graphql" */
  graphqlUrl: URL;
  /** Local mode: the key used when the browser has not logged in. */
  defaultApiKey: string | null;
  /** Send the session cookie only over https. */
  secureCookies: boolean;
}

export class WebConfigError extends Error {
  override name = "WebConfigError";
}

let cached: WebEnv | null = null;

export function webEnv(): WebEnv {
  if (cached) return cached;
  const raw = process.env.GRAPHQL_URL ?? "http://127.0.0.1:4000/graphql";
  let graphqlUrl: URL;
  try {
    graphqlUrl = new URL(raw);
  } catch (cause) {
    throw new WebConfigError(`GRAPHQL_URL is not a URL: ${raw}`, { cause });
  }
  if (graphqlUrl.protocol !== "http:" && graphqlUrl.protocol !== "https:") {
    throw new WebConfigError(`GRAPHQL_URL must be http(s), got ${graphqlUrl.protocol}`);
  }
  const key = process.env.GRAFT_API_KEY?.trim();
  cached = {
    graphqlUrl,
    defaultApiKey: key ? key : null,
    secureCookies: process.env.GRAFT_SECURE_COOKIES === "1",
  };
  return cached;
}
