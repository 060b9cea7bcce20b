// Runs the code samples of README.md marked `<!-- readme-test: sh|ts -->` against a real local
// platform, and checks the README's claims that can drift (start command, documented variables).
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { withStack } from "./support/stack.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const readme = readFileSync(join(ROOT, "README.md"), "utf8");

function samples(kind: "sh" | "ts"): string[] {
  const marker = new RegExp(`<!-- readme-test: ${kind} -->\\s*\`\`\`${kind}\\n([\\s\\S]*?)\`\`\``, "g");
  return [...readme.matchAll(marker)].map((m) => m[1] ?? "");
}

async function run(
  command: string,
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number; out: string }> {
  const child = spawn(command, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout.on("data", (c: Buffer) => {
    out += c;
  });
  child.stderr.on("data", (c: Buffer) => {
    out += c;
  });
  const timer = setTimeout(() => child.kill("SIGKILL"), 240_000);
  const code = await new Promise<number>((resolve) => child.once("exit", (c) => resolve(c ?? 137)));
  clearTimeout(timer);
  return { code, out };
}

const stack = withStack({ trainers: ["readme-trainer"] });
let env: Record<string, string>;
let home: string;

before(async () => {
  await stack.ready;
  home = mkdtempSync(join(tmpdir(), "graft-readme-"));
  env = {
    GRAFT_URL: stack.gateway.url,
    GRAFT_API_KEY: stack.gateway.apiKey,
    HOME: home,
    XDG_CONFIG_HOME: join(home, ".config"),
    NO_COLOR: "1",
    NPM_CONFIG_UPDATE_NOTIFIER: "false",
  };
});

after(async () => {
  if (home) rmSync(home, { recursive: true, force: true });
});

test("the README's CLI samples run as written", async () => {
  const blocks = samples("sh");
  assert.ok(blocks.length >= 1, "README has a CLI sample marked readme-test");
  for (const block of blocks) {
    const result = await run("bash", ["-euo", "pipefail", "-c", block], env);
    assert.equal(result.code, 0, `sample failed:\n${block}\n--- output ---\n${result.out}`);
    assert.match(result.out, /SUCCEEDED/);
  }
});

test("the README's TypeScript client sample runs as written", async () => {
  const blocks = samples("ts");
  assert.ok(blocks.length >= 1, "README has a client sample marked readme-test");
  const dir = join(ROOT, "test-artifacts");
  mkdirSync(dir, { recursive: true });
  for (const [i, block] of blocks.entries()) {
    // Inside the repository, so `@graft/client` resolves like it does for a workspace.
    const file = join(dir, `readme-sample-${process.pid}-${i}.ts`);
    writeFileSync(file, block);
    try {
      const result = await run(process.execPath, ["--import", "tsx", file], env);
      assert.equal(result.code, 0, `sample failed:\n${block}\n--- output ---\n${result.out}`);
      assert.match(result.out, /^epoch 2: loss \d/m);
      assert.match(result.out, /^SUCCEEDED \S+/m);
    } finally {
      rmSync(file, { force: true });
    }
  }
});

test("the README's start and test commands exist as written", () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> };
  assert.match(readme, /```sh\nnpm ci && npm start\b/);
  assert.match(readme, /```sh\nnpm test\b/);
  const start = /^tsx (\S+)$/.exec(pkg.scripts.start ?? "")?.[1];
  assert.ok(start && existsSync(join(ROOT, start)), `npm start runs ${pkg.scripts.start}`);
  assert.ok(pkg.scripts.test);
  assert.match(readme, /!\[[^\]]*\]\(docs\/dashboard\.png\)/);
});

test(".env.example documents every variable the services read", () => {
  const documented = new Set(
    [...readFileSync(join(ROOT, ".env.example"), "utf8").matchAll(/^([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]),
  );
  const read = new Set<string>();
  for (const service of readdirSync(join(ROOT, "services"))) {
    const file = join(ROOT, "services", service, "src", "env.ts");
    if (!existsSync(file)) continue;
    for (const m of readFileSync(file, "utf8").matchAll(/^\s+([A-Z][A-Z0-9_]+):/gm)) read.add(m[1] ?? "");
  }
  assert.ok(read.has("GATEWAY_PORT") && read.has("TRAINER_POOL") && read.has("GRAFT_TRAINERS"), "env.ts files found");
  for (const name of [
    "GRAFT_HOME",
    "GATEWAY_PORT",
    "NATS_URL",
    "DATABASE_URL",
    "GRAFT_BOOTSTRAP_KEY",
    "GRAFT_URL",
    "GRAFT_API_KEY",
  ]) {
    read.add(name);
  }
  const missing = [...read].filter((name) => !documented.has(name));
  assert.deepEqual(missing, [], "add these to .env.example");
});
