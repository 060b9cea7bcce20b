import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { type RunStatus, TERMINAL_RUN_STATUSES } from "@graft/contracts";
import type { Gateway } from "@graft/gateway";
import { waitFor } from "@graft/testkit";
import {
  chartInk,
  ensureWebBuild,
  launchChromium,
  MARK_DOCUMENT,
  READ_COOKIE,
  READ_MARK,
  READ_POINTS,
  recordChartPoints,
  screenshot,
  startWebServer,
  type WebServer,
} from "@graft/web/testing";
import type { Browser, BrowserContext, Page, Request } from "playwright-core";
import { imageFolderZip, tinyModel, zipFiles } from "./support/fixtures.ts";
import { type GatewaySetup, setup } from "./support/gateway.ts";
import { completeRun, lastJob } from "./support/run-events.ts";
import { PLATFORM_WAIT } from "./support/stack.ts";
import { graphql, startTrainerProcess, stopTrainers, type TrainerProcess } from "./support/trainer.ts";

// The whole platform, for real: nats-server, the gateway (on PGlite: the database suites
// cover PostgreSQL), a trainer process, the production dashboard build and Debian's
// chromium. One platform serves the flows below, in order.
let platform: GatewaySetup;
let gateway: Gateway;
let trainer: TrainerProcess;
let web: WebServer;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let base = { model: "", dataset: "" };
let firstRunId = "";
let childModelId = "";

const TRAINER_NAME = "web-trainer";
// The pre-trained digits-cnn is a committed artifact; until it exists, a tiny 28x28x1 model
// registered through the public API stands in as the base.
const DIGITS_CNN = fileURLToPath(new URL("../packages/catalog/models/digits-cnn/model.json", import.meta.url));

async function registerBase(): Promise<string> {
  if (existsSync(DIGITS_CNN)) {
    const data = await platform.gqlData<{ models: { edges: { node: { id: string; name: string } }[] } }>(
      "{ models(filter: { kind: BASE }) { edges { node { id name } } } }",
    );
    const id = data.models.edges.find((e) => /digits/i.test(e.node.name))?.node.id;
    assert.ok(id, `digits-cnn should be seeded: ${JSON.stringify(data)}`);
    return id;
  }
  const upload = await platform.upload(zipFiles(tinyModel({ size: 28, channels: 1, classes: 5 }).files));
  assert.equal(upload.status, 201, JSON.stringify(upload.body));
  const data = await platform.gqlData<{ registerModel: { id: string } }>(
    `mutation($input: RegisterModelInput!) { registerModel(input: $input) { id } }`,
    {
      input: {
        name: "tiny-digits",
        uploadId: upload.body.uploadId,
        labels: ["0", "1", "2", "3", "4"],
        featureLayer: "features",
      },
    },
  );
  return data.registerModel.id;
}

before(async () => {
  ensureWebBuild((line) => process.stderr.write(`${line}\n`));
  platform = await setup("pglite", {
    trainerOfflineAfterMs: 4000,
    builtinModels: existsSync(DIGITS_CNN) ? ["digits-cnn"] : [],
  });
  gateway = platform.gateway;
  const model = await registerBase();
  const { datasets } = await platform.gqlData<{ datasets: { id: string; name: string }[] }>("{ datasets { id name } }");
  const dataset = datasets.find((d) => d.name.includes("5-9"))?.id;
  assert.ok(dataset, `mnist-5-9 should be seeded: ${JSON.stringify(datasets)}`);
  base = { model, dataset };
  trainer = startTrainerProcess({
    gatewayUrl: gateway.url,
    natsUrl: platform.nats.url,
    joinToken: gateway.joinToken,
    name: TRAINER_NAME,
    env: { TRAINER_HEARTBEAT_MS: "1000" },
  });
  await trainer.waitForOutput(/^Trainer /m, 120_000);
  web = await startWebServer({ graphqlUrl: gateway.url });
  browser = await launchChromium();
  context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  page = await context.newPage();
});

after(async () => {
  await browser?.close();
  await web?.stop();
  if (trainer) await stopTrainers([trainer], 5000);
  await platform?.cleanup();
});

async function ids(): Promise<{ model: string; dataset: string }> {
  return base;
}

test("asks for an API key, refuses a wrong one, and keeps only a session token in an http-only cookie", async () => {
  await page.goto(`${web.url}/runs`);
  await page.waitForURL(/\/login\?next=%2Fruns/);
  await screenshot(page, "login");
  await page.getByLabel("API key").fill("not-a-key");
  await page.getByRole("button", { name: "Log in" }).click();
  await page
    .getByRole("alert")
    .filter({ hasText: /did not accept/ })
    .waitFor();

  await page.getByLabel("API key").fill(gateway.apiKey);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.waitForURL(/\/runs$/);
  await page.goto(`${web.url}/`);
  await page.getByRole("heading", { name: "Overview" }).waitFor();
  const cookies = await context.cookies();
  assert.ok(!cookies.some((c) => c.value.includes(gateway.apiKey)), "no cookie holds the API key");
  const session = cookies.find((c) => c.name === "graft_session");
  assert.ok(session, "a session cookie is set");
  assert.match(session.value, /^graftsession_/, "the session cookie holds a session token");
  assert.equal(session.httpOnly, true);
  assert.equal(session.sameSite, "Strict");
  const visible = await page.evaluate<string>(READ_COOKIE);
  assert.ok(!visible.includes(session.value), "client JS must not see the session token");
  await page.getByRole("heading", { name: "Trainers" }).waitFor();
  await page.getByText(TRAINER_NAME).first().waitFor();
  await screenshot(page, "overview");
});

test("shows the server's BAD_USER_INPUT next to the field at fault", async () => {
  const { model, dataset } = await ids();
  await page.goto(`${web.url}/new`);
  await page.getByLabel("Base model").selectOption(model);
  await page.getByLabel("Dataset").selectOption(dataset);
  await page.getByLabel("Max samples").fill("200");
  await page.getByLabel("Epochs").fill("4");
  await page.getByLabel("Learning rate").fill("5");
  await page.getByRole("button", { name: "Start fine-tune" }).click();
  const message = page.locator('[data-field="learningRate"] .field-message');
  await message.waitFor();
  assert.match((await message.textContent()) ?? "", /1|big|learning/i);
  assert.match(page.url(), /\/new/, "a refused run must not navigate away");
  await screenshot(page, "new-fine-tune-error");
  // More kept checkpoints than the API allows: its message, next to the field.
  await page.getByLabel("Learning rate").fill("0.01");
  await page.getByLabel("Keep checkpoints").fill("21");
  await page.getByRole("button", { name: "Start fine-tune" }).click();
  const kept = page.locator('[data-field="keepCheckpoints"] .field-message');
  await kept.waitFor();
  assert.match((await kept.textContent()) ?? "", /20/);
  assert.equal(await page.locator('[data-field="learningRate"] .field-message').count(), 0);
  const runs = await graphql<{ runs: { totalCount: number } }>(gateway, "{ runs { totalCount } }");
  assert.equal(runs.runs.totalCount, 0, "a refused fine-tune creates no run");
});

/** Each named line left its colour on the chart's canvas: the chart drew the data, not only its frame. */
async function assertLinesDrawn(testId: string, lines: Record<string, string>): Promise<void> {
  const ink = await page.evaluate<number[] | null>(chartInk(testId, Object.values(lines)));
  assert.ok(ink, `${testId} has no canvas`);
  for (const [k, name] of Object.keys(lines).entries()) {
    assert.ok((ink[k] ?? 0) > 0, `${testId}: no pixel of the ${name} line's colour (${JSON.stringify(ink)})`);
  }
}

test("starts a fine-tune from the form; its charts gain points live and it reaches SUCCEEDED", async () => {
  // Record every point count the loss chart shows, from the first paint on.
  await page.addInitScript({ content: recordChartPoints("chart-loss") });
  const { model, dataset } = await ids();
  await page.goto(`${web.url}/new?baseModelId=${model}&datasetId=${dataset}`);
  await page.getByLabel("Max samples").fill("200");
  await page.getByLabel("Epochs").fill("4");
  await page.getByLabel("Learning rate").fill("0.01");
  await page.getByLabel("Run name").fill("web-first");
  await page.getByLabel("Keep checkpoints").fill("2");
  await page.getByRole("button", { name: "Start fine-tune" }).click();
  await page.waitForURL(/\/runs\/[^/]+$/);
  firstRunId = page.url().split("/").pop() ?? "";
  await page.evaluate(MARK_DOCUMENT);
  await page.locator('[data-status="SUCCEEDED"]').first().waitFor({ timeout: 180_000 });
  await page.locator('[data-testid="chart-loss"][data-points="4"]').waitFor({ timeout: 30_000 });
  await assertLinesDrawn("chart-loss", { loss: "#2563eb", "val loss": "#f97316" });
  const seen = await page.evaluate<number[]>(READ_POINTS);
  const sameDocument = await page.evaluate<boolean>(READ_MARK);
  assert.equal(sameDocument, true, "the page must update without a reload");
  assert.ok(
    seen.some((n) => n > 0 && n < 4),
    `the chart should have shown partial progress before the end; saw ${JSON.stringify(seen)}`,
  );
  // It kept its last two epochs' checkpoints: the page offers to fork from either. The choices
  // come with the page's re-read of the run, which the SUCCEEDED notice schedules and which may
  // land after the streamed status and points shown above.
  const forkChoices = () => page.getByTestId("fork-from-epoch").locator("option").allTextContents();
  await waitFor("the finished run's fork choices", async () => (await forkChoices()).join() === "3,4", {
    timeoutMs: 30_000,
    intervalMs: 250,
  }).catch(() => {});
  assert.deepEqual(await forkChoices(), ["3", "4"]);
  await page.locator('[data-testid="output-model"] a').first().waitFor();
  childModelId =
    ((await page.locator('[data-testid="output-model"] a').first().getAttribute("href")) ?? "").split("/").pop() ?? "";
  assert.ok(childModelId, "a succeeded run links its output model");
  await screenshot(page, "run");
});

test("finds the new child under its base in the lineage graph and opens its model page", async () => {
  await page.goto(`${web.url}/models?focus=${childModelId}`);
  const node = page.locator(`[data-testid="lineage-node"][data-model-id="${childModelId}"]`);
  await node.waitFor();
  const { model } = await ids();
  const baseNode = page.locator(`[data-testid="lineage-node"][data-model-id="${model}"]`);
  const [childBox, baseBox] = [await node.boundingBox(), await baseNode.boundingBox()];
  assert.ok(childBox && baseBox && childBox.y > baseBox.y, "the child sits below its base");
  await screenshot(page, "lineage");
  await node.click();
  await page.waitForURL(new RegExp(`/models/${childModelId}$`));
  await page.locator(`[data-testid="model-parent"] a[href="/models/${model}"]`).waitFor();
  await page.locator('[data-testid="layers"]').getByText("frozen").first().waitFor();
  await screenshot(page, "model");
});

test("compares two runs: overlaid curves and only the differing hyperparameters", async () => {
  const { model, dataset } = await ids();
  const started = await graphql<{ startFineTune: { id: string } }>(
    gateway,
    "mutation($input: StartFineTuneInput!) { startFineTune(input: $input) { id } }",
    {
      input: {
        baseModelId: model,
        datasetId: dataset,
        name: "web-second",
        epochs: 4,
        maxSamples: 200,
        learningRate: 0.003,
      },
    },
  );
  const secondId = started.startFineTune.id;
  await waitFor(
    "the second run to succeed",
    async () => {
      const r = await graphql<{ run: { status: string } }>(gateway, "query($id: ID!) { run(id: $id) { status } }", {
        id: secondId,
      });
      if (r.run.status === "FAILED") throw new Error("second run failed");
      return r.run.status === "SUCCEEDED";
    },
    { ...PLATFORM_WAIT, timeoutMs: 180_000 },
  );

  // The browser's GraphQL reads, by operation: the runs page's come with its HTML.
  const reads: string[] = [];
  const record = (request: Request) => {
    if (!request.url().endsWith("/api/graphql")) return;
    const body = request.postDataJSON() as { query?: string };
    reads.push(/^\s*query (\w+)/m.exec(body.query ?? "")?.[1] ?? "other");
  };
  page.on("request", record);
  await page.goto(`${web.url}/runs`);
  await page.locator("tr[data-run-id]").first().waitFor();
  await page.getByLabel("Status", { exact: true }).selectOption("SUCCEEDED");
  await page.waitForURL(/[?&]status=SUCCEEDED/);
  await page.locator(`tr[data-run-id="${firstRunId}"]`).waitFor();
  await page.locator(`tr[data-run-id="${secondId}"]`).waitFor();
  assert.deepEqual(reads, [], "the server renders the runs page's rows and filters, before and after filtering");
  await screenshot(page, "runs");
  await page.locator(`tr[data-run-id="${firstRunId}"] input[type=checkbox]`).check();
  await page.locator(`tr[data-run-id="${secondId}"] input[type=checkbox]`).check();
  await page.getByRole("link", { name: /Compare selected \(2\)/ }).click();
  await page.waitForURL(/\/compare\?ids=/);
  const diff = page.locator('[data-testid="hp-diff"]');
  await diff.waitFor();
  const diffText = (await diff.textContent()) ?? "";
  assert.match(diffText, /Learning rate/);
  assert.doesNotMatch(diffText, /Batch size/, "equal hyperparameters are not listed");
  assert.equal(await page.locator('[data-testid="best-epochs"] tbody tr').count(), 2);
  await page.locator('[data-testid="chart-compare-valAccuracy"][data-points="4"]').waitFor();
  await assertLinesDrawn("chart-compare-valAccuracy", { "web-first": "#2563eb", "web-second": "#f97316" });
  // The legend and the chart's text summary name each run's line.
  const chart = page.getByTestId("chart-compare-valAccuracy");
  for (const name of ["web-first", "web-second"]) {
    await chart.locator(".u-legend").getByText(name).waitFor();
    await chart.getByTestId("chart-summary").locator("tbody th", { hasText: name }).waitFor({ state: "attached" });
  }
  // Hovering the chart reads each run's value under the cursor into its legend.
  await chart.locator(".u-over").hover();
  for (const line of [1, 2]) {
    await chart
      .locator(".u-legend .u-series")
      .nth(line)
      .locator(".u-value")
      .filter({ hasText: /^\d\.\d+$/ })
      .waitFor();
  }
  page.off("request", record);
  assert.deepEqual(reads, ["CompareRuns"], "the compare page reads its runs in one request, not one per run");
  await screenshot(page, "compare");
  await page.goto(`${web.url}/`);
  await page.getByRole("link", { name: "web-first" }).first().waitFor();
  await screenshot(page, "overview-with-runs");
});

test("the form offers the base's cut points, defaults and controls; the run page shows the transfer gain", async () => {
  const { model, dataset } = await ids();
  if (!existsSync(DIGITS_CNN)) return; // the tiny stand-in base has no measured defaults
  await page.goto(`${web.url}/new?baseModelId=${model}&datasetId=${dataset}`);
  const cut = page.getByLabel("Feature layer");
  await cut.locator("option", { hasText: "flatten [400]" }).waitFor({ state: "attached" });
  const options = await cut.locator("option").allTextContents();
  assert.ok(
    options.some((o) => /^flatten \[400\] Flatten — default$/.test(o)),
    options.join(" | "),
  );
  assert.ok(
    options.some((o) => /^features \[32\] Dense$/.test(o)),
    options.join(" | "),
  );
  assert.equal(await page.getByLabel("Learning rate").getAttribute("placeholder"), "default 0.003");
  assert.equal(await page.getByLabel("Head hidden units").getAttribute("placeholder"), "default 128");
  await page.getByLabel("Max samples").fill("200");
  await page.getByLabel("Epochs").fill("2");
  await page.getByLabel("Run name").fill("web-controls");
  await page.getByLabel(/^Scratch: same architecture/).check();
  await page.getByLabel(/^Linear probe: frozen base/).check();
  await page.getByRole("button", { name: "Start fine-tune" }).click();
  await page.waitForURL(/\/runs\/[^/]+$/);
  const runId = page.url().split("/").pop() ?? "";
  const panel = page.getByTestId("transfer-gain");
  await panel.waitFor();
  // The page polls the controls until they end; the scratch arm trains every layer.
  await panel.getByTestId("gain-final").filter({ hasText: /pts$/ }).waitFor({ timeout: 300_000 });
  await page.locator('[data-testid="chart-controls"][data-points="2"]').waitFor({ timeout: 30_000 });
  await assertLinesDrawn("chart-controls", { "this run": "#2563eb" });
  // The gain needs only the scratch arm; the linear probe may still be queued behind it.
  const run = await waitFor(
    "both controls to end",
    async () => {
      const { run } = await graphql<{
        run: { transferGain: { finalDifference: number }; controls: { status: string }[] };
      }>(gateway, "query($id: ID!) { run(id: $id) { transferGain { finalDifference } controls { status } } }", {
        id: runId,
      });
      return run.controls.every((c) => TERMINAL_RUN_STATUSES.has(c.status as RunStatus)) && run;
    },
    { timeoutMs: 300_000, intervalMs: 1_000 },
  );
  assert.deepEqual(
    run.controls.map((c) => c.status),
    ["SUCCEEDED", "SUCCEEDED"],
  );
  const shown = (await panel.getByTestId("gain-final").textContent()) ?? "";
  const sign = run.transferGain.finalDifference >= 0 ? "+" : "";
  assert.equal(shown, `${sign}${(100 * run.transferGain.finalDifference).toFixed(1)} pts`);
  await screenshot(page, "run-transfer-gain");
});

test("uploads a zip of class folders with progress and lists the new dataset", async () => {
  const dir = mkdtempSync(join(tmpdir(), "graft-web-"));
  const zipPath = join(dir, "shapes.zip");
  writeFileSync(zipPath, imageFolderZip(["circle", "square"], 4));
  await page.goto(`${web.url}/datasets`);
  await page.locator('[data-testid="datasets"]').getByText(/mnist/i).first().waitFor();
  await page.getByLabel("Name").fill("web-shapes");
  await page.getByLabel("File", { exact: true }).setInputFiles(zipPath);
  await page.getByRole("button", { name: "Upload" }).click();
  await page.getByRole("status").filter({ hasText: "Created dataset web-shapes" }).waitFor();
  const row = page.locator('[data-testid="datasets"] tr').filter({ hasText: "web-shapes" });
  await row.waitFor();
  assert.match((await row.textContent()) ?? "", /circle\s*4/);
  await screenshot(page, "datasets");
  rmSync(dir, { recursive: true, force: true });
});

test("uploads a CSV of texts and shows its sample texts per class", async () => {
  const dir = mkdtempSync(join(tmpdir(), "graft-web-"));
  const csvPath = join(dir, "reviews.csv");
  writeFileSync(
    csvPath,
    'text,label\n"Loved every minute",pos\nDull and far too long,neg\n"A joy, start to end",pos\n',
  );
  await page.goto(`${web.url}/datasets`);
  await page.getByLabel("Name").fill("web-reviews");
  await page.getByLabel("File", { exact: true }).setInputFiles(csvPath);
  await page.getByRole("button", { name: "Upload" }).click();
  await page.getByRole("status").filter({ hasText: "Created dataset web-reviews" }).waitFor();
  const row = page.locator('[data-testid="datasets"] tr').filter({ hasText: "web-reviews" });
  await row.waitFor();
  assert.match((await row.textContent()) ?? "", /text/);
  await row.getByText("Sample texts").click();
  const samples = row.locator('[data-testid="sample-texts"]');
  assert.deepEqual(await samples.allTextContents(), [
    "negDull and far too long",
    "posLoved every minuteA joy, start to end",
  ]);
  // The built-in spam corpus previews real mail.
  const spam = page.locator('[data-testid="datasets"] tr').filter({ hasText: "SpamAssassin" });
  await spam.getByText("Sample texts").click();
  assert.equal(await spam.locator('[data-testid="sample-texts"] li').count(), 6);
  await screenshot(page, "datasets-text");
  rmSync(dir, { recursive: true, force: true });
});

test("drains a trainer, then shows it go OFFLINE live after it is killed", async () => {
  await page.goto(`${web.url}/trainers`);
  const live = await waitFor(
    "the trainer to be IDLE",
    async () => {
      const { trainers } = await graphql<{ trainers: { id: string; name: string; status: string }[] }>(
        gateway,
        "{ trainers { id name status } }",
      );
      return trainers.find((t) => t.name === TRAINER_NAME && t.status === "IDLE");
    },
    PLATFORM_WAIT,
  );
  const row = page.locator(`tr[data-trainer-id="${live.id}"]`);
  await row.and(page.locator('[data-status="IDLE"]')).waitFor();
  await page.evaluate(MARK_DOCUMENT);
  await screenshot(page, "trainers");
  await page.getByRole("button", { name: `Drain ${TRAINER_NAME}` }).click();
  await row.and(page.locator('[data-status="DRAINING"]')).waitFor();
  await trainer.waitForOutput(/draining: taking no new jobs/, 30_000);
  trainer.kill("SIGKILL");
  await trainer.stopped;
  await row.and(page.locator('[data-status="OFFLINE"]')).waitFor({ timeout: 30_000 });
  assert.equal(await page.evaluate<boolean>(READ_MARK), true, "OFFLINE arrives through the live stream, not a reload");
  await screenshot(page, "trainers-offline");
});

test("cancels a queued run from its page", async () => {
  const { model, dataset } = await ids();
  // No trainer serves this pool, so the run waits in QUEUED until cancelled.
  const started = await graphql<{ startFineTune: { id: string } }>(
    gateway,
    "mutation($input: StartFineTuneInput!) { startFineTune(input: $input) { id } }",
    {
      input: {
        baseModelId: model,
        datasetId: dataset,
        name: "web-cancel",
        epochs: 2,
        maxSamples: 200,
        pool: "web-idle",
      },
    },
  );
  await page.goto(`${web.url}/runs/${started.startFineTune.id}`);
  await page.locator('h1 [data-status="QUEUED"]').waitFor();
  await page.getByRole("button", { name: "Cancel run" }).click();
  await page.locator('h1 [data-status="CANCELLED"]').waitFor({ timeout: 30_000 });
  const { run } = await graphql<{ run: { status: string } }>(gateway, "query($id: ID!) { run(id: $id) { status } }", {
    id: started.startFineTune.id,
  });
  assert.equal(run.status, "CANCELLED");
  await screenshot(page, "run-cancelled");
});

test("a long run's page draws its curves from series() and never downloads every epoch", async () => {
  const { model, dataset } = await ids();
  // Past the page's full-list limit (200); played by a stand-in trainer over real JetStream.
  const epochs = 250;
  const started = await graphql<{ startFineTune: { id: string } }>(
    gateway,
    "mutation($input: StartFineTuneInput!) { startFineTune(input: $input) { id } }",
    { input: { baseModelId: model, datasetId: dataset, name: "web-long", epochs, pool: "web-long" } },
  );
  const runId = started.startFineTune.id;
  const { model: base } = await graphql<{
    model: {
      featureLayer: string | null;
      inputShape: number[];
      labels: string[];
      layers: { name: string; className: string; weightHash: string | null; params: number }[];
    };
  }>(
    gateway,
    "query($id: ID!) { model(id: $id) { featureLayer inputShape labels layers { name className weightHash params } } }",
    { id: model },
  );
  const { registerTrainer } = await graphql<{ registerTrainer: { trainer: { id: string } } }>(
    gateway,
    `mutation($t: String!) { registerTrainer(input: { joinToken: $t, name: "web-long-trainer", host: "h", backend: "cpu", devices: [], cpuCount: 1, memoryBytes: 1 }) { trainer { id } } }`,
    { t: gateway.joinToken },
  );
  const job = await lastJob(platform, "web-long");
  await completeRun({
    nats: platform.nats,
    jobToken: job.jobToken,
    runId,
    trainerId: registerTrainer.trainer.id,
    outputModelId: job.outputModelId,
    baseLayers: base.layers,
    featureLayer: base.featureLayer ?? base.layers.at(-2)?.name ?? "",
    inputShape: base.inputShape,
    labels: base.labels,
    valAccuracies: Array.from({ length: epochs }, (_, e) => 0.5 + (e % 10) / 25),
  });
  await waitFor(
    "the long run to succeed",
    async () => {
      const r = await graphql<{ run: { status: string } }>(gateway, "query($id: ID!) { run(id: $id) { status } }", {
        id: runId,
      });
      if (r.run.status === "FAILED") throw new Error("the long run failed");
      return r.run.status === "SUCCEEDED";
    },
    PLATFORM_WAIT,
  );

  const asked: { full?: boolean; maxPoints?: number }[] = [];
  const record = (request: Request) => {
    if (!request.url().endsWith("/api/graphql")) return;
    const body = request.postDataJSON() as { query?: string; variables?: { full?: boolean; maxPoints?: number } };
    if (body.query?.includes("query Run(")) asked.push(body.variables ?? {});
  };
  page.on("request", record);
  try {
    await page.goto(`${web.url}/runs/${runId}`);
    // Fewer epochs than the budget: each is its own point of the reduced series.
    await page.locator(`[data-testid="chart-loss"][data-points="${epochs}"]`).waitFor({ timeout: 30_000 });
    await assertLinesDrawn("chart-loss", { loss: "#2563eb" });
    await page
      .locator('[data-testid="epoch-progress"]')
      .filter({ hasText: `${epochs} / ${epochs}` })
      .waitFor();
  } finally {
    page.off("request", record);
  }
  assert.ok(asked.length > 0, "the run page asks for the run");
  for (const variables of asked) {
    assert.equal(variables.full, false, `the run page must not ask for every epoch: ${JSON.stringify(asked)}`);
    assert.ok((variables.maxPoints ?? 0) > 0, `the run page gives series() a point budget: ${JSON.stringify(asked)}`);
  }
  await screenshot(page, "run-long");
});
