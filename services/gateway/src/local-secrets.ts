import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { API_KEY_PREFIX, generateSecret, JOIN_TOKEN_PREFIX } from "./auth/secrets.ts";

/**
 * Local mode keeps its generated API key and join token in GRAFT_HOME (mode 0600), so every
 * `npm start` prints the same working key; the database holds only their hashes.
 */
export async function localSecret(home: string, file: "local-api-key" | "join-token"): Promise<string> {
  const path = join(home, file);
  try {
    const saved = (await readFile(path, "utf8")).trim();
    if (saved !== "") return saved;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  await mkdir(home, { recursive: true, mode: 0o700 });
  const secret = generateSecret(file === "local-api-key" ? API_KEY_PREFIX : JOIN_TOKEN_PREFIX);
  await writeFile(path, `${secret}\n`, { mode: 0o600 });
  await chmod(path, 0o600);
  return secret;
}
