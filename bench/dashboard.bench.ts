/**
 * The dashboard at scale, in Debian's chromium: the runs page with `--runs` runs, the compare
 * page over the `--long-runs` runs of `--epochs` epochs each, and one of those runs' page. Per
 * page and sample (a fresh browser context each, so nothing is cached):
 *
 * - time to interactive: navigation start to the later of the page's content drawn (its
 *   ready selector, e.g. a chart drawn with its data, first in the DOM), the end of the last long
 *   task and the end of the last request, once 1 s has passed with neither;
 * - bytes: transferred over the wire (navigation + every resource) and GraphQL bodies decoded;
 * - the longest main-thread task (PerformanceObserver `longtask`) up to interactive.
 *
 * The database is seeded directly (multi-row INSERT ... SELECT through @graft/db), then a
 * gateway process and `next start` serve it. PostgreSQL when DATABASE_URL is set, else PGlite.
 * Prints figures; never fails on a number.
 *
 *   npx tsx bench/dashboard.bench.ts [--runs 10000] [--long-runs 100] [--epochs 10000] [--samples 3]
 *     [--prebuilt]   (use apps/web/.next as it is: measure another build, e.g. main's)
 *   (DASHBOARD_BENCH_TIMEOUT_MS: how long one page may take, 180 s by default;
 *   DASHBOARD_BENCH_PROFILE_DIR: one more load per page, its main thread profiled to a .cpuprofile there
 *   and its requests' start and end printed.)
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { hyperparametersSchema } from "@graft/contracts";
import { createDatabase, type Db, rowsOf } from "@graft/db";
import { createTestDatabaseTarget, testPostgresServer } from "@graft/db/testing";
import { startNatsServer } from "@graft/natsd";
import { ensureWebBuild, launchChromium, loginThroughApi, startWebServer } from "@graft/web/testing";
import { type SQL, sql } from "drizzle-orm";
import type { Browser, Page } from "playwright-core";
import { startGatewayProcess, stopGatewayProcess } from "../test/support/gateway-process.ts";

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "10000" },
    "long-runs": { type: "string", default: "100" },
    epochs: { type: "string", default: "10000" },
    samples: { type: "string", default: "3" },
    prebuilt: { type: "boolean", default: false },
  },
});
const RUNS = Number(values.runs);
const LONG_RUNS = Math.min(Number(values["long-runs"]), RUNS);
const EPOCHS = Number(values.epochs);
const SAMPLES = Number(values.samples);
const API_KEY = "graft_dash_bench_key_0123456789abcdef0123";
const JOIN_TOKEN = "graft_dash_bench_join_0123456789abcdef012";
const QUIET_MS = 1000;
const PROFILE_DIR = process.env.DASHBOARD_BENCH_PROFILE_DIR;
const PAGE_TIMEOUT_MS = Number(process.env.DASHBOARD_BENCH_TIMEOUT_MS ?? 180_000);

const runId = (i: number | SQL) => sql`md5('dash-run-' || (${i})::text)::uuid`;
const MODEL = "00000000-0000-4000-8000-0000000000a1";
const DATASET = "00000000-0000-4000-8000-0000000000a2";

async function timed(label: string, work: () => Promise<unknown>): Promise<void> {
  const started = performance.now();
  await work();
  console.log(`  seeded ${label} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

/** Project "default" (the one the gateway's bootstrap key joins), RUNS runs, LONG_RUNS x EPOCHS epochs. */
async function seed(db: Db): Promise<string[]> {
  await db.execute(sql`insert into projects (name) values ('default') on conflict do nothing`);
  const project = sql`(select id from projects where name = 'default')`;
  await db.execute(sql`insert into models (id, project_id, name, kind, architecture, task, input_shape, labels,
      preprocessing, layers, param_count, size_bytes, artifact_key)
    values (${MODEL}::uuid, ${project}, 'dash-base', 'BASE', 'digits-cnn', 'image-classification', '[28,28,1]',
      '["0","1"]', '{"inputRange":[0,1],"channels":1}', '[]', 10, 40, 'models/dash-base')`);
  await db.execute(sql`insert into datasets (id, project_id, name, task, labels, class_counts, sample_count, sample_shape, source)
    values (${DATASET}::uuid, ${project}, 'dash-data', 'image-classification', '["0","1"]', '[1,1]', 2, '[28,28,1]',
      '{"kind":"BUILTIN","name":"mnist"}')`);
  // The API allows 1,000 epochs per run; the long runs are written as if it allowed EPOCHS.
  const hyperparameters = (epochs: number) =>
    JSON.stringify({ ...hyperparametersSchema.parse({ epochs: 10 }), epochs });
  await timed(`${RUNS} runs (${LONG_RUNS} of ${EPOCHS} epochs, newest first)`, () =>
    db.execute(sql`insert into runs (id, project_id, name, base_model_id, dataset_id, pool, status, epochs, batch_size,
        optimizer, learning_rate, freeze_strategy, seed, hyperparameters, output_model_id, last_epoch,
        best_val_accuracy, best_val_loss, queued_at, started_at, finished_at)
      select ${runId(sql`i`)}, ${project}, 'run-' || i, ${MODEL}::uuid, ${DATASET}::uuid, 'default', 'SUCCEEDED',
        e, 32, 'ADAM', 0.001, 'ALL_BASE', i,
        case when i < ${LONG_RUNS}::int then ${hyperparameters(EPOCHS)}::jsonb else ${hyperparameters(10)}::jsonb end,
        gen_random_uuid(), e, 0.5 + (i % 50) / 100.0, 0.1 + (i % 7) / 10.0,
        timestamptz '2026-06-01' - i * interval '1 minute', timestamptz '2026-06-01' - i * interval '1 minute',
        timestamptz '2026-06-01' - i * interval '1 minute' + e * interval '1 second'
      from generate_series(0, ${RUNS - 1}::int) as i,
        lateral (select case when i < ${LONG_RUNS}::int then ${EPOCHS}::int else 10 end as e) as epochs`),
  );
  await timed(`${LONG_RUNS} x ${EPOCHS} epochs`, async () => {
    // One statement per run bounds each statement's memory (PGlite builds it in WASM).
    for (let i = 0; i < LONG_RUNS; i++) {
      await db.execute(sql`insert into run_epochs (run_id, epoch, attempt, loss, accuracy, val_loss, val_accuracy,
          learning_rate, duration_ms, samples_per_second, trainable_params, frozen_layers)
        select ${runId(i)}, e, 1, 2.0 / (1 + e / 100.0) + 0.05 * sin(e / 7.0), 1 - 0.5 / (1 + e / 200.0),
          2.2 / (1 + e / 120.0) + 0.08 * sin(e / 5.0 + ${i}), 1 - 0.55 / (1 + e / 250.0) - 0.02 * cos(e / 9.0),
          0.001 * (1 + cos(e / 500.0)) / 2, 20, 1000 + (e % 13) * 10, 1000, 3
        from generate_series(1, ${EPOCHS}::int) as e`);
    }
  });
  await db.execute(sql`analyze`);
  return rowsOf<{ id: string }>(
    await db.execute(sql`select ${runId(sql`i`)}::text as id from generate_series(0, ${LONG_RUNS - 1}::int) as i`),
  ).map((r) => r.id);
}

/**
 * A chart drawn with its data: the canvas chart sets `data-points` once it has drawn; the SVG
 * chart of older builds (recharts, e.g. main's before issue 13) once its line path is in the DOM.
 */
const drawnChart = (id: string) => {
  const chart = `[data-testid="chart-${id}"]`;
  return `${chart}[data-points]:not([data-points="0"]) .uplot, ${chart} .recharts-line-curve`;
};

// Runs in the page from its first script on: long tasks, and when the ready selector first matched.
const probe = (readySelector: string) => `(() => {
  window.__longTasks = [];
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) window.__longTasks.push([e.startTime, e.duration]);
  }).observe({ type: "longtask", buffered: true });
  const check = () => {
    if (window.__readyAt === undefined && document.querySelector(${JSON.stringify(readySelector)})) {
      window.__readyAt = performance.now();
    }
  };
  new MutationObserver(check).observe(document, { subtree: true, childList: true, attributes: true });
})()`;

// Everything measured, read from the page at once.
const READ_FIGURES = `(() => {
  const resources = performance.getEntriesByType("resource").filter((r) => !r.name.includes("/api/events"));
  const navigation = performance.getEntriesByType("navigation")[0];
  const graphql = resources.filter((r) => r.name.includes("/api/graphql"));
  const tasks = window.__longTasks || [];
  return {
    now: performance.now(),
    readyAt: window.__readyAt ?? null,
    lastTaskEnd: Math.max(0, ...tasks.map(([s, d]) => s + d)),
    longestTask: Math.max(0, ...tasks.map(([, d]) => d)),
    lastResponseEnd: Math.max(navigation ? navigation.responseEnd : 0, ...resources.map((r) => r.responseEnd)),
    transferred: (navigation ? navigation.transferSize : 0) + resources.reduce((n, r) => n + r.transferSize, 0),
    graphqlRequests: graphql.length,
    graphqlDecoded: graphql.reduce((n, r) => n + r.decodedBodySize, 0),
    points: [...document.querySelectorAll("[data-points]")].map((e) => Number(e.getAttribute("data-points"))),
    runsShown: document.querySelectorAll('tr[data-run-id], [data-testid="best-epochs"] tbody tr').length,
  };
})()`;

interface Figures {
  now: number;
  readyAt: number | null;
  lastTaskEnd: number;
  longestTask: number;
  lastResponseEnd: number;
  transferred: number;
  graphqlRequests: number;
  graphqlDecoded: number;
  points: number[];
  runsShown: number;
}

interface Sample {
  interactiveMs: number;
  readyMs: number;
  longestTaskMs: number;
  transferred: number;
  graphqlDecoded: number;
  graphqlRequests: number;
  points: number[];
  runsShown: number;
}

async function measurePage(
  browser: Browser,
  cookie: { name: string; value: string; url: string },
  url: string,
  readySelector: string,
  /** Where to write the page's main-thread CPU profile (.cpuprofile, for Chrome DevTools). */
  profileTo?: string,
): Promise<Sample> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  try {
    await context.addCookies([cookie]);
    const page: Page = await context.newPage();
    await page.addInitScript({ content: probe(readySelector) });
    let inFlight = 0;
    const settled = () => inFlight--;
    page.on("request", (r) => {
      if (!r.url().includes("/api/events")) inFlight++;
    });
    // On the profiled load: when each request started and ended, from the navigation's start.
    const timeline: { label: string; start: number; end: number }[] = [];
    page.on("requestfinished", (r) => {
      if (r.url().includes("/api/events")) return;
      settled();
      if (!profileTo) return;
      const t = r.timing();
      const operation = /^\s*query (\w+)/m.exec(r.postData() ?? "")?.[1];
      const path = new URL(r.url()).pathname;
      timeline.push({
        label: operation ? `${path} ${operation}` : path,
        start: t.startTime,
        end: t.startTime + t.responseEnd,
      });
    });
    page.on("requestfailed", (r) => {
      if (!r.url().includes("/api/events")) settled();
    });
    const profiler = profileTo ? await context.newCDPSession(page) : null;
    if (profiler) {
      await profiler.send("Profiler.enable");
      await profiler.send("Profiler.start");
    }
    await page.goto(url, { waitUntil: "commit", timeout: PAGE_TIMEOUT_MS });
    const until = Date.now() + PAGE_TIMEOUT_MS;
    for (;;) {
      const f = await page.evaluate<Figures>(READ_FIGURES);
      if (f.readyAt !== null) {
        const busyUntil = Math.max(f.readyAt, f.lastTaskEnd, f.lastResponseEnd);
        if (inFlight === 0 && f.now - busyUntil >= QUIET_MS) {
          if (profiler && profileTo) {
            const { profile } = await profiler.send("Profiler.stop");
            writeFileSync(profileTo, JSON.stringify(profile));
            const origin = Math.min(...timeline.map((t) => t.start));
            for (const t of timeline.sort((a, b) => a.start - b.start)) {
              if (t.end - t.start < 50 && !t.label.includes("api")) continue; // small static files
              console.log(`      ${t.label}: ${(t.start - origin).toFixed(0)}-${(t.end - origin).toFixed(0)} ms`);
            }
          }
          return {
            interactiveMs: busyUntil,
            readyMs: f.readyAt,
            longestTaskMs: f.longestTask,
            transferred: f.transferred,
            graphqlDecoded: f.graphqlDecoded,
            graphqlRequests: f.graphqlRequests,
            points: f.points,
            runsShown: f.runsShown,
          };
        }
      }
      if (Date.now() > until) {
        const alert = await page.evaluate<string>("document.querySelector('[role=alert]')?.textContent ?? ''");
        throw new Error(`${url} was not interactive within ${PAGE_TIMEOUT_MS / 1000} s ${alert}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  } finally {
    await context.close();
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
const kib = (bytes: number) => `${(bytes / 1024).toFixed(0)} KiB`;

function report(label: string, samples: Sample[]): void {
  const s = samples;
  const last = s.at(-1);
  console.log(
    `  ${label.padEnd(34)} interactive ${median(s.map((x) => x.interactiveMs))
      .toFixed(0)
      .padStart(6)} ms (max ${Math.max(...s.map((x) => x.interactiveMs)).toFixed(0)})` +
      `   content ${median(s.map((x) => x.readyMs))
        .toFixed(0)
        .padStart(6)} ms` +
      `   longest task ${median(s.map((x) => x.longestTaskMs))
        .toFixed(0)
        .padStart(5)} ms` +
      `   transferred ${kib(median(s.map((x) => x.transferred))).padStart(9)}` +
      `   GraphQL ${last?.graphqlRequests ?? 0} req, ${kib(median(s.map((x) => x.graphqlDecoded)))} decoded` +
      `   runs shown ${last?.runsShown ?? 0}   x values per chart [${last?.points.join(", ") ?? ""}]`,
  );
}

const driver = testPostgresServer() ? "postgres" : "pglite";
console.log(
  `dashboard bench on ${driver}: ${RUNS} runs, ${LONG_RUNS} x ${EPOCHS} epochs, ${SAMPLES} samples per page; load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(" ")}`,
);
if (PROFILE_DIR) mkdirSync(PROFILE_DIR, { recursive: true });
if (!values.prebuilt) ensureWebBuild((line) => console.log(`  ${line}`));
const target = await createTestDatabaseTarget(driver);
const cleanups: (() => Promise<unknown>)[] = [target.cleanup];
try {
  const database = await createDatabase(
    target.databaseUrl ? { url: target.databaseUrl } : { pgliteDir: target.pgliteDir as string },
  );
  let longIds: string[];
  try {
    longIds = await seed(database.db);
  } finally {
    await database.close();
  }
  const nats = await startNatsServer();
  cleanups.unshift(() => nats.stop());
  const gateway = await startGatewayProcess({
    port: 0,
    natsUrl: nats.url,
    natsAuth: nats.auth,
    bootstrapKey: API_KEY,
    joinToken: JOIN_TOKEN,
    builtinModels: [],
    memoryStorage: true,
    requestRate: { requests: 10_000_000, windowMs: 60_000 },
    ...(target.databaseUrl ? { databaseUrl: target.databaseUrl } : { pgliteDir: target.pgliteDir as string }),
  });
  cleanups.unshift(() => stopGatewayProcess(gateway));
  const web = await startWebServer({ graphqlUrl: gateway.url });
  cleanups.unshift(() => web.stop());
  const login = await loginThroughApi(web.url, API_KEY);
  const [name, value] = (login.cookie ?? "").split("=");
  if (!name || !value) throw new Error(`login failed (${login.status})`);
  const cookie = { name, value, url: web.url };
  const browser = await launchChromium();
  cleanups.unshift(() => browser.close());

  const pages: [string, string, string][] = [
    [`runs page (${RUNS} runs)`, "/runs", "tr[data-run-id]"],
    [
      `compare (${LONG_RUNS} runs x ${EPOCHS} epochs)`,
      `/compare?ids=${longIds.join(",")}`,
      drawnChart("compare-valAccuracy"),
    ],
    [`run page (${EPOCHS} epochs)`, `/runs/${longIds[0]}`, drawnChart("loss")],
  ];
  let i = 0;
  for (const [label, path, ready] of pages) {
    // One warm-up load (the server's first render of a route compiles nothing but fills caches).
    await measurePage(browser, cookie, `${web.url}${path}`, ready);
    const samples: Sample[] = [];
    for (let i = 0; i < SAMPLES; i++) samples.push(await measurePage(browser, cookie, `${web.url}${path}`, ready));
    if (PROFILE_DIR) {
      const file = join(PROFILE_DIR, `${path.split(/[/?]/)[1] || "page"}-${i++}.cpuprofile`);
      await measurePage(browser, cookie, `${web.url}${path}`, ready, file);
      console.log(`    profile: ${file}`);
    }
    report(label, samples);
  }
  console.log(
    `  load average at the end ${loadavg()
      .map((l) => l.toFixed(1))
      .join(" ")}`,
  );
} finally {
  for (const cleanup of cleanups) await cleanup().catch((error: unknown) => console.error(error));
}
