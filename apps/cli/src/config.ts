import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { NotLoggedInError } from "./errors.ts";

export interface Credentials {
  url: string;
  apiKey: string;
}

/** ~/.config/graft/config.json (XDG_CONFIG_HOME respected). */
export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), ".config");
  return join(base, "graft", "config.json");
}

function readSaved(env: NodeJS.ProcessEnv): Partial<Credentials> {
  try {
    const parsed = JSON.parse(readFileSync(configPath(env), "utf8")) as Record<string, unknown>;
    return {
      url: typeof parsed.url === "string" ? parsed.url : undefined,
      apiKey: typeof parsed.apiKey === "string" ? parsed.apiKey : undefined,
    };
  } catch {
    return {};
  }
}

/** GRAFT_URL / GRAFT_API_KEY override the saved login, field by field. */
export function loadCredentials(env: NodeJS.ProcessEnv = process.env): Credentials {
  const saved = readSaved(env);
  const url = env.GRAFT_URL || saved.url;
  const apiKey = env.GRAFT_API_KEY || saved.apiKey;
  if (!url || !apiKey) throw new NotLoggedInError();
  return { url, apiKey };
}

export function saveCredentials(credentials: Credentials, env: NodeJS.ProcessEnv = process.env): string {
  const path = configPath(env);
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  // The key is a secret: the file is private to the user even if it existed with wider modes.
  writeFileSync(path, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
  chmodSync(path, 0o600);
  return path;
}
