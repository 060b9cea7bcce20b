// `npm start` from an empty GRAFT_HOME: the platform comes up, a fine-tune through the CLI
// finishes, Ctrl-C stops everything, and a second start serves the same data and API key
// without printing it again. Local state is private to the user (0700 folders, 0600 secrets).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, test } from "node:test";
import { connect } from "@nats-io/transport-node";
import { graft } from "./support/cli.ts";
import { type LauncherProcess, startLauncher } from "./support/launcher.ts";

const home = mkdtempSync(join(tmpdir(), "graft-home-"));
// Ports 0: a developer's own `npm start` may hold 4000/4222 while the tests run.
const env = {
  GRAFT_HOME: home,
  GRAFT_WEB: "0",
  GRAFT_TRAINERS: "1",
  GATEWAY_PORT: "0",
  NATS_PORT: "0",
  NATS_URL: undefined,
  DATABASE_URL: undefined,
};
let running: LauncherProcess | undefined;

after(async () => {
  await running?.interrupt();
  rmSync(home, { recursive: true, force: true });
});

async function up(): Promise<{ url: string; apiKeyLine: string }> {
  running = startLauncher(env);
  await running.waitFor(/Graft is up/);
  const url = await running.waitFor(/^GraphQL: (\S+)$/m);
  const apiKeyLine = await running.waitFor(/^API key: (.+)$/m);
  return { url, apiKeyLine };
}

const mode = (path: string) => statSync(path).mode & 0o777;

test("starts on embedded defaults, runs a CLI fine-tune, stops on Ctrl-C and restarts with its data", async () => {
  const first = await up();
  assert.match(running?.output() ?? "", /nats-server -js on nats:\/\/127\.0\.0\.1:\d+ \(store .*nats\)/);
  await running?.waitFor(/\[trainer-1\] Trainer local-1 \(.+\) on backend/);
  const apiKey = readFileSync(join(home, "local-api-key"), "utf8").trim();
  assert.match(first.apiKeyLine, new RegExp(`^${apiKey} \\(shown once; kept in .*local-api-key`), "printed when made");
  assert.equal(mode(home), 0o700);
  assert.equal(mode(join(home, "pglite")), 0o700);
  assert.equal(mode(join(home, "local-api-key")), 0o600);
  assert.equal(mode(join(home, "join-token")), 0o600);
  // NATS runs in operator mode with keys made once, for this user only; nobody gets in without them.
  assert.equal(mode(join(home, "nats-auth.json")), 0o600);
  const natsUrl = /nats-server -js on (nats:\/\/\S+)/.exec(running?.output() ?? "")?.[1];
  assert.ok(natsUrl);
  await assert.rejects(connect({ servers: natsUrl, maxReconnectAttempts: 0 }), /Authorization Violation/i);

  const cli = { GRAFT_URL: first.url, GRAFT_API_KEY: apiKey };
  const run = await graft(
    [
      "finetune",
      "--base",
      "digits-cnn",
      "--dataset",
      "mnist-5-9",
      "--epochs",
      "2",
      "--max-samples",
      "200",
      "--watch",
      "--json",
    ],
    cli,
  );
  assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}\n${running?.output()}`);
  const lines = run.stdout
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as { type: string; run?: { id: string; status: string } });
  assert.deepEqual(
    lines.filter((l) => l.type === "epoch").map((l) => (l as { epoch?: number }).epoch),
    [1, 2],
  );
  const result = lines.at(-1)?.run;
  assert.equal(result?.status, "SUCCEEDED");

  assert.equal(await running?.interrupt(), 0, running?.output());
  assert.match(running?.output() ?? "", /\[launcher\] stopped/);
  const leftovers = spawnSync("pgrep", ["-f", home], { encoding: "utf8" }).stdout.trim();
  assert.equal(leftovers, "", "no child of the launcher outlives it");

  const second = await up();
  assert.match(second.apiKeyLine, /^kept in .*local-api-key \(printed when it was made\)$/);
  assert.ok(!(running?.output() ?? "").includes(apiKey), "a restart does not print the secret again");
  assert.equal(
    readFileSync(join(home, "local-api-key"), "utf8").trim(),
    apiKey,
    "the local API key survives a restart",
  );
  const listed = await graft(["runs", "list", "--json"], { GRAFT_URL: second.url, GRAFT_API_KEY: apiKey });
  assert.equal(listed.code, 0, listed.stderr);
  const runs = (JSON.parse(listed.stdout) as { runs: { id: string; status: string }[] }).runs;
  assert.equal(runs.find((r) => r.id === result?.id)?.status, "SUCCEEDED");
  const tree = await graft(["models", "tree", "digits-cnn", "--json"], {
    GRAFT_URL: second.url,
    GRAFT_API_KEY: apiKey,
  });
  assert.equal(
    (JSON.parse(tree.stdout) as { descendants: unknown[] }).descendants.length,
    1,
    "the fine-tuned child is still there",
  );
});

test("without nats-server it says how to install it and exits 1", async () => {
  // PATH with only node's own directory: nats-server cannot be found.
  const bare = startLauncher({ ...env, PATH: dirname(process.execPath), GRAFT_HOME: join(home, "no-nats") });
  const code = await new Promise<number>((resolve) => bare.child.once("exit", (c) => resolve(c ?? 1)));
  assert.equal(code, 1);
  assert.match(
    bare.output(),
    /nats-server is not installed\. On Debian\/Ubuntu: `sudo apt-get install -y nats-server`/,
  );
});
