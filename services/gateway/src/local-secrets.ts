import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { API_KEY_PREFIX, generateSecret, JOIN_TOKEN_PREFIX } from "./auth/secrets.ts";

/** Makes `dir` (and missing parents) private to this user: 0700, also when it already existed. */
export async function privateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
}

/**
 * Local mode keeps its generated API key and join token in GRAFT_HOME (mode 0600, the folder
 * 0700), so a restart keeps the same working key; the database holds only their hashes.
 * `created` says whether this call made the secret, which is the one time it is printed.
 */
export async function localSecret(
  home: string,
  file: "local-api-key" | "join-token",
): Promise<{ secret: string; path: string; created: boolean }> {
  const path = join(home, file);
  await privateDir(home);
  try {
    const saved = (await readFile(path, "utf8")).trim();
    if (saved !== "") {
      await chmod(path, 0o600);
      return { secret: saved, path, created: false };
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  const secret = generateSecret(file === "local-api-key" ? API_KEY_PREFIX : JOIN_TOKEN_PREFIX);
  await writeFile(path, `${secret}\n`, { mode: 0o600 });
  await chmod(path, 0o600);
  return { secret, path, created: true };
}
