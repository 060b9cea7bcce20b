import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const WEB_DIR = fileURLToPath(new URL("..", import.meta.url));
// The dashboard bundles @graft/client's source: a change there is a change to the dashboard.
const CLIENT_SRC = fileURLToPath(new URL("../../../packages/client/src", import.meta.url));
export const NEXT_BIN = createRequire(join(WEB_DIR, "package.json")).resolve("next/dist/bin/next");

export class WebBuildError extends Error {
  override name = "WebBuildError";
}

function newestMtime(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

function buildTime(): number | null {
  try {
    return statSync(join(WEB_DIR, ".next", "BUILD_ID")).mtimeMs;
  } catch {
    return null;
  }
}

/**
 * Builds the production dashboard unless `.next` is newer than every source file: building
 * takes minutes on a small machine, so a test run builds at most once and reuses it.
 */
export function ensureWebBuild(log: (line: string) => void = () => {}): void {
  const built = buildTime();
  const sources = Math.max(
    newestMtime(join(WEB_DIR, "src")),
    newestMtime(join(WEB_DIR, "next.config.ts")),
    newestMtime(join(WEB_DIR, "package.json")),
    newestMtime(CLIENT_SRC),
  );
  if (built !== null && built > sources) return;
  log("building the dashboard (next build)...");
  const result = spawnSync(process.execPath, [NEXT_BIN, "build"], {
    cwd: WEB_DIR,
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" },
    encoding: "utf8",
    timeout: 15 * 60_000,
  });
  if (result.status !== 0) {
    throw new WebBuildError(
      `next build failed (exit ${result.status}); run \`npm run build -w @graft/web\` to see why:\n${result.stdout}\n${result.stderr}`,
    );
  }
}
