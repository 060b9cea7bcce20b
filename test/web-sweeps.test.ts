import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import {
  ensureWebBuild,
  launchChromium,
  MARK_DOCUMENT,
  READ_MARK,
  screenshot,
  startWebServer,
  type WebServer,
} from "@graft/web/testing";
import type { Browser, Page } from "playwright-core";
import { type GatewaySetup, setup } from "./support/gateway.ts";
import { graphql, startTrainerProcess, stopTrainers, type TrainerProcess } from "./support/trainer.ts";

// A small real sweep (digits-cnn onto mnist 5-9, two learning rates, ASHA), its page watched live
// while it runs, then read; then a small study's page watched live the same way; in the
// production dashboard build and Debian's chromium.
let platform: GatewaySetup;
let trainer: TrainerProcess;
let web: WebServer;
let browser: Browser;
let page: Page;
let sweepId = "";
let baseId = "";
let datasetId = "";

before(async () => {
  ensureWebBuild((line) => process.stderr.write(`${line}\n`));
  platform = await setup("pglite", { builtinModels: ["digits-cnn"] });
  const { gateway } = platform;
  trainer = startTrainerProcess({
    gatewayUrl: gateway.url,
    natsUrl: platform.nats.url,
    joinToken: gateway.joinToken,
    name: "sweep-web-trainer",
    env: { TRAINER_HEARTBEAT_MS: "1000" },
  });
  await trainer.waitForOutput(/^Trainer /m, 120_000);
  // Logged in before the sweep starts, so its page is first seen while the sweep runs.
  web = await startWebServer({ graphqlUrl: gateway.url });
  browser = await launchChromium();
  page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  await page.goto(`${web.url}/login`);
  await page.getByLabel("API key").fill(gateway.apiKey);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.waitForURL((url) => !url.pathname.startsWith("/login"));
  const data = await platform.gqlData<{
    models: { edges: { node: { id: string; name: string } }[] };
    datasets: { id: string; name: string }[];
  }>("{ models(filter: { kind: BASE }) { edges { node { id name } } } datasets { id name } }");
  const base = data.models.edges.find((e) => /digits/i.test(e.node.name))?.node.id;
  const dataset = data.datasets.find((d) => d.name.includes("5-9"))?.id;
  assert.ok(base && dataset, JSON.stringify(data));
  baseId = base;
  datasetId = dataset;
  const { startSweep } = await graphql<{ startSweep: { id: string } }>(
    gateway,
    "mutation($input: StartSweepInput!) { startSweep(input: $input) { id } }",
    {
      input: {
        name: "web sweep",
        baseModelId: base,
        datasetId: dataset,
        method: "GRID",
        space: { learningRate: { values: [0.003, 0.000001] } },
        maxEpochs: 4,
        maxConcurrentTrials: 1,
        asha: { reductionFactor: 2, minEpochs: 1 },
        fineTune: { maxSamples: 600, featureLayer: "features", freeze: { strategy: "FIRST_N", layers: 4 } },
      },
    },
  );
  sweepId = startSweep.id;
});

after(async () => {
  await browser?.close();
  await web?.stop();
  if (trainer) await stopTrainers([trainer], 5000);
  await platform?.cleanup();
});

test("a sweep's page updates live while the sweep runs, without polling or a reload", async () => {
  const sweepReads = readsOf(page, "Sweep");
  await page.goto(`${web.url}/sweeps/${sweepId}`);
  // Opened moments after startSweep: its trials train for minutes.
  await page.locator('.page-header [data-status="RUNNING"]').waitFor();
  await page.locator('.live-dot[data-state="live"]').waitFor();
  await page.evaluate(MARK_DOCUMENT);
  // The sweep ends on its own; the page shows it without being asked again.
  await page.locator('.page-header [data-status="SUCCEEDED"]').waitFor({ timeout: 400_000 });
  await page.getByTestId("sweep-best").waitFor();
  assert.equal(await page.evaluate<boolean>(READ_MARK), true, "the page updated without a reload");
  assert.equal(sweepReads.length, 1, "the page read the sweep once, then only listened");
  assert.equal(await page.locator(".live-dot").count(), 0, "the stream closes once the sweep has ended");
});

test("the runs page links to the sweeps; a sweep's page shows its trials, the early stop, the scatter and the best model", async () => {
  await page.goto(`${web.url}/runs`);
  await page.getByRole("link", { name: "Sweeps", exact: true }).first().click();
  await page.waitForURL(/\/sweeps$/);
  await page.locator(`[data-sweep-id="${sweepId}"]`).getByRole("link", { name: "web sweep" }).click();
  await page.waitForURL(new RegExp(`/sweeps/${sweepId}$`));
  const rows = page.getByTestId("sweep-trials").locator("tbody tr");
  await rows.first().waitFor();
  assert.equal(await rows.count(), 2);
  // The 1e-6 trial ran after the 0.003 one and was stopped at the first rung.
  const stopped = page.locator('[data-trial="1"]');
  assert.equal(await stopped.getAttribute("data-stopped"), "true");
  assert.match((await stopped.textContent()) ?? "", /early stopped at epoch 1/);
  assert.match((await page.locator('[data-trial="0"]').textContent()) ?? "", /best/);
  const best = (await page.getByTestId("sweep-best").textContent()) ?? "";
  assert.match(best, /Best: trial 1 \(learningRate=0\.003\)/);
  assert.match(best, /child of digits-cnn/);
  // One dot per trial with a metric: the stopped one keeps the metric it was stopped with.
  await page.locator('[data-testid="param-scatter"][data-param="learningRate"][data-points="2"]').waitFor();
  assert.ok((await page.locator('[data-testid="param-scatter"] .recharts-scatter-symbol').count()) >= 2);
  await screenshot(page, "sweep");
});

test("a trial's run page names its sweep and trial, and links back to the sweep", async () => {
  await page.goto(`${web.url}/sweeps/${sweepId}`);
  await page.locator('[data-trial="0"] a').first().click();
  await page.waitForURL(/\/runs\//);
  const link = page.getByTestId("run-sweep");
  assert.match((await link.textContent()) ?? "", /web sweep trial 1: learningRate=0\.003/);
  await link.getByRole("link", { name: "web sweep" }).click();
  await page.waitForURL(new RegExp(`/sweeps/${sweepId}$`));
});

/** Every GraphQL read of `operation` the page makes (subscriptions go through /api/events). */
function readsOf(on: Page, operation: string): string[] {
  const reads: string[] = [];
  on.on("request", (request) => {
    if (request.url().endsWith("/api/graphql") && request.postData()?.includes(`query ${operation}(`)) {
      reads.push(request.url());
    }
  });
  return reads;
}

test("a study's page updates live while the study runs, without polling, and shows its end", async () => {
  // Started once the sweep is done, so the one trainer takes it at once; two epochs.
  const { startStudy } = await graphql<{ startStudy: { id: string } }>(
    platform.gateway,
    "mutation($input: StartStudyInput!) { startStudy(input: $input) { id } }",
    {
      input: {
        name: "web study",
        baseModelIds: [baseId],
        datasetId,
        fractions: [0.5],
        arms: ["FINE_TUNE"],
        seeds: [1],
        epochs: 2,
        fineTune: { maxSamples: 400, featureLayer: "features", freeze: { strategy: "FIRST_N", layers: 4 } },
      },
    },
  );
  const studyPage = await page.context().newPage();
  const studyReads = readsOf(studyPage, "Study");
  await studyPage.goto(`${web.url}/studies/${startStudy.id}`);
  await studyPage.locator('.page-header [data-status="RUNNING"]').waitFor();
  await studyPage.locator('.live-dot[data-state="live"]').waitFor();
  assert.equal((await studyPage.getByTestId("cell-mean").textContent())?.trim(), "—", "no run has finished yet");
  await studyPage.evaluate(MARK_DOCUMENT);
  // The study ends on its own; its last state (the cell filled, the run succeeded) comes live.
  await studyPage.locator('.page-header [data-status="SUCCEEDED"]').waitFor({ timeout: 300_000 });
  assert.equal(await studyPage.evaluate<boolean>(READ_MARK), true, "the page updated without a reload");
  assert.match((await studyPage.getByTestId("cell-mean").textContent()) ?? "", /\d+(\.\d+)?%/);
  assert.match((await studyPage.getByTestId("study-summary").textContent()) ?? "", /1\/1 runs succeeded/);
  assert.equal(await studyPage.locator("#study-runs ~ ul [data-status='SUCCEEDED']").count(), 1);
  assert.equal(studyReads.length, 1, "the page read the study once, then only listened");
  assert.equal(await studyPage.locator(".live-dot").count(), 0, "the stream closes once the study has ended");
  await studyPage.close();
});
