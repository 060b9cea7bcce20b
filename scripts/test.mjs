#!/usr/bin/env node
// Runs every *.test.ts in the repo with Node's test runner (through tsx), each file in its
// own process, two at a time by default, and ends with one summary line.
//
//   node scripts/test.mjs [filter...]     only files whose path contains a filter
//   GRAFT_TEST_CONCURRENCY=1 npm test     one file at a time
//
// Two at a time, but never two "exclusive" files together: those train with TensorFlow.js
// (some drive the dashboard too), and their ack waits and heartbeats are sized for a machine
// where nothing else trains. Everything else (database, gateway, NATS, web proxy and unit
// suites) runs beside them. The dashboard is built once, first, beside the other work.
//
// Database suites register themselves once per driver (@graft/db/testing's
// describeEachDriver): PGlite always, PostgreSQL when DATABASE_URL names a server.
import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { stripVTControlCharacters } from "node:util";

const root = new URL("..", import.meta.url).pathname;
const skip = new Set(["node_modules", ".next", ".git", ".graft", "test-artifacts"]);

/** Longest first, so the exclusive line ends as early as it can. */
const EXCLUSIVE = [
  "test/chaos-platform.test.ts",
  "test/chaos-postgres.test.ts",
  "test/web-dashboard.test.ts",
  "test/hostile-web.test.ts",
  "test/web-sweeps.test.ts",
  "test/topology-processes.test.ts",
  "test/trainer-recovery.test.ts",
  "test/trainer-liveness.test.ts",
  "test/cli-platform.test.ts",
  "test/launcher-restart.test.ts",
  "test/launcher-supervision.test.ts",
  "services/trainer/src/engine/mobilenet.test.ts",
  "services/trainer/src/engine/input-size.test.ts",
  "test/trainer-control.test.ts",
  "test/readme-samples.test.ts",
  "test/trainer-fine-tune.test.ts",
  "test/trainer-progress.test.ts",
  "test/studies.test.ts",
  "test/sweeps.test.ts",
  "test/transfer-controls.test.ts",
  "services/trainer/src/engine/fine-tune.test.ts",
  "services/trainer/src/engine/exact-resume.test.ts",
  "test/run-fork.test.ts",
  "services/trainer/src/engine/fork.test.ts",
  "services/trainer/src/engine/feature-cache.test.ts",
  "services/trainer/src/node/training-thread.test.ts",
];
const NEEDS_WEB_BUILD = new Set([
  "test/web-dashboard.test.ts",
  "test/web-proxy.test.ts",
  "test/hostile-web.test.ts",
  "test/web-sweeps.test.ts",
]);

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
const concurrency = Math.max(1, Number(process.env.GRAFT_TEST_CONCURRENCY ?? 2) || 1);
const startedAt = Date.now();
if (!process.env.DATABASE_URL) {
  console.log(
    "DATABASE_URL is not set: database suites run on PGlite only and report their PostgreSQL half as skipped.",
  );
}

const rank = (file) => (EXCLUSIVE.includes(file) ? EXCLUSIVE.indexOf(file) : EXCLUSIVE.length);
const exclusive = files.filter((f) => EXCLUSIVE.includes(f)).sort((a, b) => rank(a) - rank(b));
// Database suites run once per driver, so they take longest: start them first.
const perDriver = (file) => readFileSync(join(root, file), "utf8").includes("describeEachDriver(");
const shared = files
  .filter((f) => !EXCLUSIVE.includes(f))
  .sort((a, b) => Number(perDriver(b)) - Number(perDriver(a)) || a.localeCompare(b));
const webBuild = files.some((f) => NEEDS_WEB_BUILD.has(f)) ? { done: false } : null;

const totals = { pass: 0, fail: 0, skipped: 0, cancelled: 0, todo: 0 };
const skippedSuites = [];
let failedProcesses = 0;

function runProcess(label, args) {
  const started = Date.now();
  console.log(`→ ${label}`);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, {
      cwd: root,
      env: process.stdout.isTTY ? { ...process.env, FORCE_COLOR: "1" } : process.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk) => {
      output += chunk;
    });
    child.stderr.on("data", (chunk) => {
      output += chunk;
    });
    child.once("exit", (code, signal) => {
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      // One file's whole report at once: two files' lines never interleave.
      process.stdout.write(output.endsWith("\n") || output === "" ? output : `${output}\n`);
      console.log(`${code === 0 ? "✔" : "✖"} ${label} (${seconds} s${code === 0 ? "" : `, exit ${signal ?? code}`})\n`);
      resolve({ code: code ?? 1, output: stripVTControlCharacters(output) });
    });
  });
}

async function runFile(file) {
  const { code, output } = await runProcess(file, ["--import", "tsx", "--test", "--test-reporter=spec", file]);
  for (const key of Object.keys(totals)) {
    const match = new RegExp(`^ℹ ${key} (\\d+)$`, "m").exec(output);
    totals[key] += Number(match?.[1] ?? 0);
  }
  for (const match of output.matchAll(/^\s*﹣ (.+?) \([\d.]+m?s\) # (PostgreSQL is not configured.*)$/gm)) {
    skippedSuites.push(`${file}: ${match[1]}`);
  }
  if (code !== 0) failedProcesses++;
}

async function buildWeb() {
  const script = 'const { ensureWebBuild } = await import("@graft/web/testing"); ensureWebBuild(console.log);';
  const { code } = await runProcess("dashboard build (next build, once)", [
    "--import",
    "tsx",
    "--input-type=module",
    "-e",
    script,
  ]);
  if (code !== 0) failedProcesses++;
  webBuild.done = true;
}

// The scheduler: `concurrency` slots; an exclusive file whenever none runs and it is ready,
// else a shared job; a slot with nothing it may start waits for another job to finish.
const running = new Set();
let exclusiveRunning = false;
const pendingJobs = webBuild
  ? [{ run: buildWeb }, ...shared.map((f) => ({ file: f }))]
  : shared.map((f) => ({ file: f }));

function nextJob() {
  const ready = (file) => !NEEDS_WEB_BUILD.has(file) || webBuild?.done;
  if (!exclusiveRunning) {
    const index = exclusive.findIndex(ready);
    if (index >= 0) {
      const [file] = exclusive.splice(index, 1);
      exclusiveRunning = true;
      return () =>
        runFile(file).finally(() => {
          exclusiveRunning = false;
        });
    }
  }
  const index = pendingJobs.findIndex((job) => job.run !== undefined || ready(job.file));
  if (index < 0) return undefined;
  const [job] = pendingJobs.splice(index, 1);
  return job.run ?? (() => runFile(job.file));
}

while (exclusive.length > 0 || pendingJobs.length > 0 || running.size > 0) {
  let job = running.size < concurrency ? nextJob() : undefined;
  while (job !== undefined) {
    const promise = job().finally(() => running.delete(promise));
    running.add(promise);
    job = running.size < concurrency ? nextJob() : undefined;
  }
  if (running.size === 0) break;
  await Promise.race(running);
}

console.log(
  `Ran ${files.length} test files in ${((Date.now() - startedAt) / 1000).toFixed(0)} s, ${concurrency} at a time.`,
);
if (skippedSuites.length > 0) {
  console.log(
    `Skipped on PostgreSQL (set DATABASE_URL=postgres:///postgres to run them): ${skippedSuites.length} suites in ${new Set(skippedSuites.map((s) => s.split(":")[0])).size} files.`,
  );
}
if (failedProcesses > 0 && totals.fail === 0) console.log(`${failedProcesses} test processes failed outside any test.`);
console.log(`tests: ${totals.pass} passed, ${totals.fail + totals.cancelled} failed, ${totals.skipped} skipped`);
process.exit(failedProcesses > 0 || totals.fail > 0 || totals.cancelled > 0 ? 1 : 0);
