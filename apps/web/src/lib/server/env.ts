/** Server-side configuration of the dashboard; nothing else reads process.env. */
export interface WebEnv {
  /** Gateway GraphQL endpoint. @default "http://127.0.0.1:4000/graphql" */
  graphqlUrl: URL;
  /**
   * Host names (`name` or `name:port`) the dashboard answers to; `*` for any.
   * @default localhost, 127.0.0.1 and [::1] (on WEB_PORT when it is set)
   */
  allowedHosts: readonly string[];
  /** Cookies only over https (`Secure`, `__Host-` names): set behind TLS. */
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
  const port = process.env.WEB_PORT?.trim();
  const listed = (process.env.GRAFT_ALLOWED_HOSTS ?? "")
    .split(",")
    .map((h) => h.trim())
    .filter(Boolean);
  cached = {
    graphqlUrl,
    allowedHosts:
      listed.length > 0 ? listed : ["localhost", "127.0.0.1", "[::1]"].map((h) => (port ? `${h}:${port}` : h)),
    secureCookies: process.env.GRAFT_SECURE_COOKIES === "1" || process.env.GRAFT_SECURE_COOKIES === "true",
  };
  return cached;
}
