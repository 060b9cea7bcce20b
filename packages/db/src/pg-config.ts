import { existsSync } from "node:fs";
import { userInfo } from "node:os";
import type pg from "pg";
import { parseIntoClientConfig } from "pg-connection-string";

/**
 * pg's config for a connection string, read the way libpq (psql) reads it: an empty host
 * means the local Unix socket and an empty user means the OS user, so `postgres:///postgres`
 * works with peer authentication. pg alone would try TCP localhost with no user name.
 */
export function pgClientConfig(url: string): pg.ClientConfig {
  const config = parseIntoClientConfig(url);
  if (!config.user) config.user = process.env.PGUSER || process.env.USER || userInfo().username;
  if (!config.host) {
    const port = config.port ?? 5432;
    const socketDir = [process.env.PGHOST, "/var/run/postgresql", "/tmp"].find(
      (dir) => dir !== undefined && dir !== "" && existsSync(`${dir}/.s.PGSQL.${port}`),
    );
    config.host = socketDir ?? "localhost";
  }
  return config as pg.ClientConfig;
}
