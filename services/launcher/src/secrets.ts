import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface LocalSecrets {
  bootstrapKey: string;
  joinToken: string;
}

/**
 * Local mode has no operator to hand out credentials, so the first API key and the join token
 * are generated once, kept private under GRAFT_HOME, and reused on every restart: scripts and
 * trainers keep working across restarts. Env values win when given.
 */
export function localSecrets(graftHome: string, given: Partial<LocalSecrets>): LocalSecrets {
  mkdirSync(graftHome, { recursive: true });
  const path = join(graftHome, "secrets.json");
  let saved: Partial<LocalSecrets> = {};
  if (existsSync(path)) saved = JSON.parse(readFileSync(path, "utf8")) as Partial<LocalSecrets>;
  const secrets: LocalSecrets = {
    bootstrapKey: given.bootstrapKey ?? saved.bootstrapKey ?? `graft_${randomBytes(24).toString("base64url")}`,
    joinToken: given.joinToken ?? saved.joinToken ?? `join_${randomBytes(24).toString("base64url")}`,
  };
  if (secrets.bootstrapKey !== saved.bootstrapKey || secrets.joinToken !== saved.joinToken) {
    writeFileSync(path, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
    chmodSync(path, 0o600);
  }
  return secrets;
}
