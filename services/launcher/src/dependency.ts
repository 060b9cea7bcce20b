import { connect } from "node:net";

/** Where a dependency's URL says to connect: host and port, or a Unix socket. */
export function endpointOf(url: string, defaultPort: number): { host: string; port: number } | { path: string } {
  const parsed = new URL(url);
  // postgres:///db (no host) means the local Unix socket, as libpq reads it.
  if (!parsed.hostname) return { path: `/var/run/postgresql/.s.PGSQL.${parsed.port || defaultPort}` };
  return { host: parsed.hostname.replace(/^\[|\]$/g, ""), port: Number(parsed.port) || defaultPort };
}

function reachable(endpoint: ReturnType<typeof endpointOf>): Promise<string | null> {
  return new Promise((resolve) => {
    const socket = "path" in endpoint ? connect(endpoint.path) : connect(endpoint.port, endpoint.host);
    const done = (result: string | null) => {
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(3_000, () => done("no answer in 3 s"));
    socket.once("connect", () => done(null));
    socket.once("error", (error: NodeJS.ErrnoException) => done(error.code ?? error.message));
  });
}

/**
 * Waits until `url` accepts connections, saying so in one line per try with the backoff
 * (1 s doubling to 30 s), so a dependency that is still starting (or down) reads as that,
 * not as a gateway stack trace. Gives up after `deadlineMs`.
 */
export async function waitForDependency(
  name: string,
  url: string,
  defaultPort: number,
  log: (line: string) => void,
  options: { deadlineMs?: number; isStopping?: () => boolean } = {},
): Promise<void> {
  const endpoint = endpointOf(url, defaultPort);
  const where = "path" in endpoint ? endpoint.path : `${endpoint.host}:${endpoint.port}`;
  const deadline = Date.now() + (options.deadlineMs ?? 10 * 60_000);
  for (let delay = 1_000; ; delay = Math.min(delay * 2, 30_000)) {
    const problem = await reachable(endpoint);
    if (problem === null) return;
    if (Date.now() + delay > deadline || options.isStopping?.()) {
      throw new DependencyUnavailableError(name, where, problem);
    }
    log(`[launcher] ${name} at ${where} is not reachable (${problem}); retrying in ${delay / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}

export class DependencyUnavailableError extends Error {
  override name = "DependencyUnavailableError";
  constructor(
    readonly dependency: string,
    readonly where: string,
    readonly problem: string,
  ) {
    super(
      `${dependency} at ${where} is not reachable (${problem}); start it, or unset its URL to use the embedded one`,
    );
  }
}
