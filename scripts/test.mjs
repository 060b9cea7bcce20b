#!/usr/bin/env node
// Runs every *.test.ts in the repo with Node's test runner (through tsx).
// `node scripts/test.mjs [filter...]` runs only files whose path contains a filter.
// Node 20's --test takes no globs, so the files are listed here.
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join, relative } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const skip = new Set(["node_modules", ".next", ".git", ".graft", "test-artifacts"]);

function* walk(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (skip.has(entry.name)) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(path);
    else if (entry.name.endsWith(".test.ts")) yield relative(root, path);
  }
}

const filters = process.argv.slice(2);
const files = [...walk(root)].filter((f) => filters.length === 0 || filters.some((x) => f.includes(x))).sort();
if (files.length === 0) {
  console.error(`no test files match ${filters.join(" ")}`);
  process.exit(1);
}
const result = spawnSync(
  process.execPath,
  ["--import", "tsx", "--test", "--test-concurrency=1", "--test-reporter=spec", ...files],
  { cwd: root, stdio: "inherit" },
);
process.exit(result.status ?? 1);
