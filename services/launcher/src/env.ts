import { resolve } from "node:path";
import { z } from "zod";

const flag = z
  .enum(["0", "1", "false", "true", "no", "yes", ""])
  .optional()
  .transform((v) => v === undefined || v === "" || v === "1" || v === "true" || v === "yes");

const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).optional().default(fallback);

const schema = z.object({
  /** Where local data lives (NATS store, PGlite database, secrets). @default ./.graft */
  GRAFT_HOME: z.string().min(1).default(".graft"),
  /** External NATS; when unset a nats-server child is started. */
  NATS_URL: z.string().url().optional(),
  /** External PostgreSQL; when unset the gateway uses PGlite under GRAFT_HOME/db. */
  DATABASE_URL: z.string().min(1).optional(),
  GATEWAY_PORT: port(4000),
  WEB_PORT: port(3000),
  NATS_PORT: port(4222),
  /** 0 skips the dashboard. */
  GRAFT_WEB: flag,
  GRAFT_TRAINERS: z.coerce.number().int().min(0).max(32).default(2),
  /** The operator's API key and join token; the gateway makes and keeps local ones otherwise. */
  GRAFT_BOOTSTRAP_KEY: z.string().optional(),
  GRAFT_JOIN_TOKEN: z.string().optional(),
});

export type LauncherEnv = z.infer<typeof schema> & { graftHome: string };

export class LauncherConfigError extends Error {
  override name = "LauncherConfigError";
}

/** The only place the launcher reads process.env. */
export function readEnv(env: NodeJS.ProcessEnv = process.env): LauncherEnv {
  const empty = (v: string | undefined) => (v === "" ? undefined : v);
  const parsed = schema.safeParse(Object.fromEntries(Object.entries(env).map(([k, v]) => [k, empty(v)])));
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new LauncherConfigError(`invalid configuration:\n${lines.join("\n")}`);
  }
  return { ...parsed.data, graftHome: resolve(parsed.data.GRAFT_HOME) };
}
