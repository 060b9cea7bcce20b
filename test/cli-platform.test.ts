// The `graft` CLI against a real local platform: nats-server, the gateway (on PGlite) and a
// trainer process training real TensorFlow.js.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { type CliResult, graft } from "./support/cli.ts";
import { withStack } from "./support/stack.ts";

const stack = withStack({ trainers: ["cli-trainer"] });
let env: Record<string, string>;
let home: string;

before(async () => {
  await stack.ready;
  home = mkdtempSync(join(tmpdir(), "graft-cli-home-"));
  env = {
    GRAFT_URL: stack.gateway.url,
    GRAFT_API_KEY: stack.gateway.apiKey,
    HOME: home,
    XDG_CONFIG_HOME: join(home, ".config"),
  };
});

after(async () => {
  if (home) rmSync(home, { recursive: true, force: true });
});

const show = (r: CliResult) => `exit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`;
let finishedRunId: string | undefined;

test("graft finetune --watch trains to SUCCEEDED, showing each epoch, and names the output model", async () => {
  const r = await graft(
    ["finetune", "--base", "digits-cnn", "--dataset", "mnist-5-9", "--epochs", "2", "--max-samples", "200", "--watch"],
    env,
  );
  assert.equal(r.code, 0, show(r));
  assert.match(r.stdout, /epoch 1\/2 \[#+-*\] loss \d/);
  assert.match(r.stdout, /epoch 2\/2 \[#{24}\] loss \d/);
  assert.match(r.stdout, /SUCCEEDED/);
  const runId = /Started run (\S+):/.exec(r.stdout)?.[1];
  assert.ok(runId, show(r));
  assert.match(r.stdout, /Output model: .+ \(.+\)/);
  finishedRunId = runId;
});

test("graft runs list --json is machine-readable and includes the finished run", async () => {
  assert.ok(finishedRunId, "the finetune test ran first");
  const r = await graft(["runs", "list", "--json"], env);
  assert.equal(r.code, 0, show(r));
  const parsed = JSON.parse(r.stdout) as {
    runs: { id: string; status: string; bestEpoch: { epoch: number } | null }[];
    totalCount: number;
  };
  const run = parsed.runs.find((x) => x.id === finishedRunId);
  assert.ok(run, r.stdout);
  assert.equal(run.status, "SUCCEEDED");
  assert.ok(parsed.totalCount >= 1);
});

test("graft runs show and models tree show the run's epochs and the new child under its base", async () => {
  assert.ok(finishedRunId);
  const shown = await graft(["runs", "show", finishedRunId], env);
  assert.equal(shown.code, 0, show(shown));
  assert.match(shown.stdout, /EPOCH\s+LOSS/);
  assert.match(shown.stdout, /^2\s+\d/m);
  const tree = await graft(["models", "tree", "digits-cnn"], env);
  assert.equal(tree.code, 0, show(tree));
  assert.match(tree.stdout, /^digits-cnn \(.+\) BASE/m);
  assert.match(tree.stdout, /└── .+ FINE_TUNED/);
});

test("a bad flag is a usage error: exit 2, with what was expected, and nothing is sent", async () => {
  const before = JSON.parse((await graft(["runs", "list", "--json"], env)).stdout).totalCount as number;
  const badNumber = await graft(
    ["finetune", "--base", "digits-cnn", "--dataset", "mnist-5-9", "--epochs", "lots"],
    env,
  );
  assert.equal(badNumber.code, 2, show(badNumber));
  assert.match(badNumber.stderr, /--epochs <n>.*'lots' is invalid\. expected an integer/);
  const badFreeze = await graft(
    ["finetune", "--base", "digits-cnn", "--dataset", "mnist-5-9", "--freeze", "half"],
    env,
  );
  assert.equal(badFreeze.code, 2, show(badFreeze));
  assert.match(badFreeze.stderr, /expected all, none or first:N/);
  const unknown = await graft(["runs", "list", "--colour"], env);
  assert.equal(unknown.code, 2, show(unknown));
  assert.match(unknown.stderr, /unknown option '--colour'/);
  const after = JSON.parse((await graft(["runs", "list", "--json"], env)).stdout).totalCount as number;
  assert.equal(after, before);
});

test("a flag out of the gateway's range is a usage error naming the flag (exit 2), and no run is made", async () => {
  const before = JSON.parse((await graft(["runs", "list", "--json"], env)).stdout).totalCount as number;
  const tooMany = await graft(["finetune", "--base", "digits-cnn", "--dataset", "mnist-5-9", "--epochs", "5000"], env);
  assert.equal(tooMany.code, 2, show(tooMany));
  assert.match(tooMany.stderr, /^usage error \(--epochs\): .*1000/m);
  const split = await graft(
    ["finetune", "--base", "digits-cnn", "--dataset", "mnist-5-9", "--epochs", "1", "--validation-split", "0.9"],
    env,
  );
  assert.equal(split.code, 2, show(split));
  assert.match(split.stderr, /^usage error \(--validation-split\): /m);
  const after = JSON.parse((await graft(["runs", "list", "--json"], env)).stdout).totalCount as number;
  assert.equal(after, before);
});

test("gateway errors are shown with their code and field; unknown names are NOT_FOUND", async () => {
  const missing = await graft(["finetune", "--base", "digits-cnn", "--dataset", "no-such-data", "--epochs", "1"], env);
  assert.equal(missing.code, 1, show(missing));
  assert.match(missing.stderr, /error NOT_FOUND \(field dataset\): no dataset named or with id "no-such-data"/);
  const invalid = await graft(
    [
      "finetune",
      "--base",
      "digits-cnn",
      "--dataset",
      "mnist-5-9",
      "--epochs",
      "1",
      "--validation-split",
      "0",
      "--early-stopping",
      "2",
      "--monitor",
      "valLoss",
    ],
    env,
  );
  assert.equal(invalid.code, 1, show(invalid));
  assert.match(invalid.stderr, /error BAD_USER_INPUT \(field [^)]*\): /);
});

test("a wrong API key exits 3; login saves a working key in a 0600 file", async () => {
  const wrong = await graft(["models", "list"], { ...env, GRAFT_API_KEY: "graft_wrong_key_0000000000000000" });
  assert.equal(wrong.code, 3, show(wrong));
  assert.match(wrong.stderr, /UNAUTHENTICATED/);

  const noCreds = { HOME: home, XDG_CONFIG_HOME: join(home, ".config") };
  const before = await graft(["models", "list"], noCreds);
  assert.equal(before.code, 3, show(before));
  assert.match(before.stderr, /not logged in/);

  const badLogin = await graft(
    ["login", "--url", stack.gateway.url, "--api-key", "graft_wrong_key_0000000000000000"],
    noCreds,
  );
  assert.equal(badLogin.code, 3, show(badLogin));
  const login = await graft(["login", "--url", stack.gateway.url, "--api-key", stack.gateway.apiKey], noCreds);
  assert.equal(login.code, 0, show(login));
  assert.equal(statSync(join(home, ".config", "graft", "config.json")).mode & 0o777, 0o600);
  const listed = await graft(["models", "list", "--json"], noCreds);
  assert.equal(listed.code, 0, show(listed));
  assert.ok((JSON.parse(listed.stdout) as { name: string }[]).some((m) => m.name === "digits-cnn"));
});

test("trainers list shows the trainer node; experiments create and list round-trip", async () => {
  const trainers = await graft(["trainers", "list", "--json"], env);
  assert.equal(trainers.code, 0, show(trainers));
  assert.ok((JSON.parse(trainers.stdout) as { name: string }[]).some((t) => t.name === "cli-trainer"));
  const created = await graft(["experiments", "create", "cli-exp", "--metric", "valLoss"], env);
  assert.equal(created.code, 0, show(created));
  const listed = await graft(["experiments", "list", "--json"], env);
  const exp = (JSON.parse(listed.stdout) as { name: string; objectiveDirection: string }[]).find(
    (e) => e.name === "cli-exp",
  );
  assert.equal(exp?.objectiveDirection, "ASC");
});

test("graft datasets upload posts a zip of class folders and creates a dataset; a corrupt zip is refused", async () => {
  const { zipSync } = await import("fflate");
  const { PNG } = await import("pngjs");
  const png = (shade: number) => {
    const image = new PNG({ width: 28, height: 28 });
    image.data.fill(shade);
    for (let i = 3; i < image.data.length; i += 4) image.data[i] = 255;
    return new Uint8Array(PNG.sync.write(image));
  };
  const files: Record<string, Uint8Array> = {};
  for (let i = 0; i < 6; i++) {
    files[`dark/${i}.png`] = png(10 + i);
    files[`light/${i}.png`] = png(240 - i);
  }
  const zipPath = join(home, "shades.zip");
  const { writeFileSync } = await import("node:fs");
  writeFileSync(zipPath, zipSync(files));
  const r = await graft(["datasets", "upload", zipPath, "--name", "shades", "--json"], env);
  assert.equal(r.code, 0, show(r));
  const dataset = JSON.parse(r.stdout) as { name: string; labels: string[]; sampleCount: number };
  assert.equal(dataset.name, "shades");
  assert.deepEqual([...dataset.labels].sort(), ["dark", "light"]);
  assert.equal(dataset.sampleCount, 12);

  const junk = join(home, "junk.zip");
  writeFileSync(junk, "not a zip at all");
  const bad = await graft(["datasets", "upload", junk, "--name", "junk"], env);
  assert.equal(bad.code, 1, show(bad));
  assert.match(bad.stderr, /^error [A-Z_]+/m);
  const listed = await graft(["datasets", "list", "--json"], env);
  assert.ok(!(JSON.parse(listed.stdout) as { name: string }[]).some((d) => d.name === "junk"));
});

test("graft datasets upload takes a CSV of texts, and datasets show prints each class's sample texts", async () => {
  const { writeFileSync } = await import("node:fs");
  const csvPath = join(home, "tickets.csv");
  writeFileSync(
    csvPath,
    "text,label\nPrinter on floor 2 is jammed,hardware\nCannot log in to VPN,access\nScreen flickers,hardware\n",
  );
  const r = await graft(["datasets", "upload", csvPath, "--name", "tickets", "--json"], env);
  assert.equal(r.code, 0, show(r));
  assert.deepEqual((JSON.parse(r.stdout) as { labels: string[] }).labels, ["access", "hardware"]);
  const shown = await graft(["datasets", "show", "tickets"], env);
  assert.equal(shown.code, 0, show(shown));
  assert.match(shown.stdout, /task: text-classification/);
  assert.match(shown.stdout, /hardware\s+2 samples\n\s+- Printer on floor 2 is jammed\n\s+- Screen flickers/);
  const mixed = await graft(["finetune", "--base", "digits-cnn", "--dataset", "tickets", "--epochs", "1"], env);
  assert.equal(mixed.code, 2, show(mixed));
  assert.match(mixed.stderr, /image-classification model but tickets is a text-classification dataset/);
});

test("graft trainer start joins this machine as a trainer node and leaves on Ctrl-C", async () => {
  const { spawn } = await import("node:child_process");
  const child = spawn(
    process.execPath,
    [
      "apps/cli/bin/graft.mjs",
      "trainer",
      "start",
      "--gateway",
      stack.gateway.url,
      "--nats",
      stack.nats.url,
      "--join-token",
      stack.gateway.joinToken,
      "--name",
      "cli-started",
      "--labels",
      "cli,test",
    ],
    {
      cwd: new URL("..", import.meta.url).pathname,
      env: { ...process.env, ...stack.trainerEnv },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let output = "";
  const exited = new Promise<number>((resolve) => child.once("exit", (code) => resolve(code ?? 1)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no trainer start in 120 s:\n${output}`)), 120_000);
    const onData = (chunk: Buffer) => {
      output += chunk;
      if (/Trainer cli-started \(.+\) on backend/.test(output)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
  });
  try {
    const listed = await graft(["trainers", "list", "--json"], env);
    const node = (JSON.parse(listed.stdout) as { name: string; labels: string[] }[]).find(
      (t) => t.name === "cli-started",
    );
    assert.deepEqual(node?.labels, ["cli", "test"]);
  } finally {
    child.kill("SIGINT");
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    assert.equal(await exited, 0, output);
    clearTimeout(timer);
  }
});

test("the typed client's runEvents subscription delivers a cancel live and then ends", async () => {
  const { GraftClient } = await import("@graft/client");
  const client = new GraftClient({ url: stack.gateway.url, apiKey: stack.gateway.apiKey });
  const [base] = await client.models({ nameContains: "digits-cnn" });
  const dataset = (await client.datasetRefs()).find((d) => d.name === "MNIST 5-9");
  assert.ok(base && dataset);
  // No trainer serves this pool, so nothing but the cancel can change the run.
  const run = await client.startFineTune({
    baseModelId: base.id,
    datasetId: dataset.id,
    epochs: 1,
    pool: "nobody-here",
  });
  const events: { kind: string; status: string }[] = [];
  const consumed = (async () => {
    for await (const event of client.runEvents(run.id)) events.push({ kind: event.kind, status: event.status });
  })();
  await new Promise((resolve) => setTimeout(resolve, 1500));
  assert.equal((await client.cancelRun(run.id)).status, "CANCELLED");
  await Promise.race([
    consumed,
    new Promise((_, reject) =>
      setTimeout(() => reject(new Error(`no CANCELLED event: ${JSON.stringify(events)}`)), 20_000),
    ),
  ]);
  assert.deepEqual(events.at(-1), { kind: "STATUS", status: "CANCELLED" });
});

test("graft models register takes a zip of a tfjs model and shows it as a BASE model", async () => {
  const { zipSync } = await import("fflate");
  const { readFileSync, writeFileSync } = await import("node:fs");
  const dir = new URL("../packages/catalog/models/digits-cnn/", import.meta.url);
  const zipPath = join(home, "my-digits.zip");
  writeFileSync(
    zipPath,
    zipSync({
      "model.json": new Uint8Array(readFileSync(new URL("model.json", dir))),
      "weights.bin": new Uint8Array(readFileSync(new URL("weights.bin", dir))),
    }),
  );
  const r = await graft(
    ["models", "register", "--name", "my-digits", "--file", zipPath, "--labels", "0,1,2,3,4", "--json"],
    env,
  );
  assert.equal(r.code, 0, show(r));
  const model = JSON.parse(r.stdout) as { id: string; kind: string; labels: string[]; paramCount: number };
  assert.equal(model.kind, "BASE");
  assert.deepEqual(model.labels, ["0", "1", "2", "3", "4"]);
  assert.ok(model.paramCount > 0);
  const shown = await graft(["models", "show", "my-digits"], env);
  assert.equal(shown.code, 0, show(shown));
  assert.match(shown.stdout, /^my-digits\s+\S+$/m);
  assert.match(shown.stdout, /LAYER\s+CLASS\s+PARAMS/);
});

test("graft runs cancel, runs compare, trainers drain and trainers remove act on real runs and trainers", async () => {
  assert.ok(finishedRunId);
  const started = await graft(
    ["finetune", "--base", "digits-cnn", "--dataset", "mnist-5-9", "--epochs", "1", "--pool", "nobody-here", "--json"],
    env,
  );
  assert.equal(started.code, 0, show(started));
  const queuedId = (JSON.parse(started.stdout) as { id: string }).id;
  const cancelled = await graft(["runs", "cancel", queuedId], env);
  assert.equal(cancelled.code, 0, show(cancelled));
  assert.match(cancelled.stdout, /CANCELLED/);
  const watched = await graft(["runs", "watch", queuedId], env);
  assert.equal(watched.code, 1, "watching a cancelled run ends with exit 1");
  assert.match(watched.stderr, /cancelled/);

  const compared = await graft(["runs", "compare", finishedRunId, queuedId], env);
  assert.equal(compared.code, 0, show(compared));
  assert.match(compared.stdout, /^status\s+SUCCEEDED\s+CANCELLED$/m);
  assert.match(compared.stdout, /^epochs\s+2\s+1$/m);
  const one = await graft(["runs", "compare", finishedRunId], env);
  assert.equal(one.code, 2, show(one));

  const listed = JSON.parse((await graft(["trainers", "list", "--json"], env)).stdout) as {
    id: string;
    name: string;
  }[];
  const trainer = listed.find((t) => t.name === "cli-trainer");
  assert.ok(trainer);
  const drained = await graft(["trainers", "drain", trainer.id], env);
  assert.equal(drained.code, 0, show(drained));
  assert.match(drained.stdout, /DRAINING|OFFLINE/);

  const removed = await graft(["trainers", "remove", trainer.id], env);
  assert.equal(removed.code, 0, show(removed));
  assert.match(removed.stdout, /removed; its NATS credentials are revoked/);
  const after = JSON.parse((await graft(["trainers", "list", "--json"], env)).stdout) as { id: string }[];
  assert.equal(
    after.some((t) => t.id === trainer.id),
    false,
  );
  const drops = await graft(["trainers", "drops", "--json"], env);
  assert.equal(drops.code, 0, show(drops));
  assert.equal(typeof (JSON.parse(drops.stdout) as { total: number }).total, "number");
});
