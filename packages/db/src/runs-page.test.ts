import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { InvalidCursorError, InvalidPageRequestError } from "./errors.ts";
import { decodeCursor, encodeCursor } from "./pagination.ts";
import { countRuns, type RunsPageInput, runsPage } from "./runs-page.ts";
import { type ProjectScope, projectScope } from "./scope.ts";
import { insertDataset, insertModel, insertProject, insertRun, pageIds } from "./test-fixtures.ts";
import { createTestDatabase, describeEachDriver, type TestDatabase } from "./testing.ts";

describeEachDriver((driver) => {
  let database: TestDatabase;
  let projectId: string;
  let scope: ProjectScope;
  let otherProjectId: string;
  let otherRunId: string;
  /** Run ids in the default order: queuedAt desc, id desc. */
  let expectedOrder: string[];
  const accuracy = new Map<string, number | null>();

  before(async () => {
    database = await createTestDatabase(driver);
    const { db } = database;
    projectId = await insertProject(db, "p");
    scope = projectScope(projectId);
    otherProjectId = await insertProject(db, "q");
    const baseModelId = await insertModel(db, { name: "m", projectId: null });
    const datasetId = await insertDataset(db, null);
    const rows: { id: string; queuedAt: number }[] = [];
    // Seven runs, three sharing one queuedAt, so the id tie-break is exercised.
    const times = [1000, 2000, 2000, 2000, 3000, 4000, 5000];
    const accuracies = [0.5, null, 0.7, 0.5, null, 0.9, 0.1];
    for (const [i, ms] of times.entries()) {
      const id = await insertRun(db, {
        projectId,
        baseModelId,
        datasetId,
        queuedAt: new Date(Date.UTC(2026, 0, 1) + ms),
        status: i % 2 === 0 ? "SUCCEEDED" : "FAILED",
        bestValAccuracy: accuracies[i] ?? null,
      });
      rows.push({ id, queuedAt: ms });
      accuracy.set(id, accuracies[i] ?? null);
    }
    otherRunId = await insertRun(db, { projectId: otherProjectId, baseModelId, datasetId });
    expectedOrder = rows.sort((a, b) => b.queuedAt - a.queuedAt || (a.id < b.id ? 1 : -1)).map((r) => r.id);
  });

  after(() => database.close());

  const allPages = (input: Omit<RunsPageInput, "after">) =>
    pageIds((after) => runsPage(database.db, scope, { ...input, after }));

  test("pages walk every run newest first, ties broken by id, without gaps or repeats", async () => {
    const pages = await allPages({ first: 3 });
    assert.deepEqual(
      pages.map((p) => p.length),
      [3, 3, 1],
    );
    assert.deepEqual(pages.flat(), expectedOrder);
  });

  test("a filter narrows the pages and the count", async () => {
    const failed = (await allPages({ first: 2, filter: { status: ["FAILED"] } })).flat();
    assert.equal(failed.length, 3);
    assert.deepEqual(
      failed,
      expectedOrder.filter((id) => failed.includes(id)),
    );
    assert.equal(await countRuns(database.db, scope, { status: ["FAILED"] }), 3);
    assert.equal(await countRuns(database.db, scope), 7);
    assert.deepEqual((await allPages({ filter: { status: [] } })).flat(), []);
  });

  test("countAll counts the filter's runs (not the page's, not after the cursor, not other projects') in the page's statement", async () => {
    const counted = await runsPage(database.db, scope, { first: 2, filter: { status: ["FAILED"] }, countAll: true });
    assert.equal(counted.totalCount, 3);
    assert.equal(counted.edges.length, 2);
    const second = await runsPage(database.db, scope, { first: 2, after: counted.pageInfo.endCursor, countAll: true });
    assert.equal(second.totalCount, 7, "the whole filter, the cursor aside");
    assert.equal((await runsPage(database.db, scope, { first: 2 })).totalCount, undefined, "only when asked");
    const empty = await runsPage(database.db, scope, { filter: { status: [] }, countAll: true });
    assert.equal(empty.totalCount, undefined, "an empty page has no row to carry it");
  });

  test("ordering by a nullable metric puts runs without it last in both directions", async () => {
    for (const direction of ["DESC", "ASC"] as const) {
      const ids = (await allPages({ first: 2, orderBy: { field: "BEST_VAL_ACCURACY", direction } })).flat();
      assert.equal(ids.length, 7);
      const values = ids.map((id) => accuracy.get(id) ?? null);
      const known = values.filter((v): v is number => v !== null);
      assert.deepEqual(values.slice(known.length), [null, null]);
      const sorted = [...known].sort((a, b) => (direction === "ASC" ? a - b : b - a));
      assert.deepEqual(known, sorted);
    }
  });

  test("filter.ids reads those runs only (another project's never), in the page's order", async () => {
    const wanted = [expectedOrder[5], expectedOrder[0], expectedOrder[3]] as string[];
    const page = await runsPage(database.db, scope, { filter: { ids: [...wanted, otherRunId] }, countAll: true });
    assert.deepEqual(
      page.edges.map((e) => e.node.id),
      expectedOrder.filter((id) => wanted.includes(id)),
    );
    assert.equal(page.totalCount, 3);
    assert.deepEqual((await allPages({ filter: { ids: [] } })).flat(), []);
    await assert.rejects(runsPage(database.db, scope, { filter: { ids: ["x"] } }), InvalidPageRequestError);
    const tooMany = Array.from({ length: 101 }, () => expectedOrder[0] as string);
    await assert.rejects(runsPage(database.db, scope, { filter: { ids: tooMany } }), InvalidPageRequestError);
  });

  test("another project's runs never appear", async () => {
    const other = await runsPage(database.db, projectScope(otherProjectId));
    assert.equal(other.edges.length, 1);
    assert.ok(!expectedOrder.includes(other.edges[0]?.node.id ?? ""));
  });

  test("foreign, tampered or mismatched cursors and bad sizes get typed errors", async () => {
    await assert.rejects(runsPage(database.db, scope, { after: "not a cursor" }), InvalidCursorError);
    const page = await runsPage(database.db, scope, { first: 1 });
    const cursor = String(page.pageInfo.endCursor);
    await assert.rejects(
      runsPage(database.db, scope, { after: cursor, orderBy: { field: "BEST_VAL_LOSS", direction: "DESC" } }),
      InvalidCursorError,
    );
    const tampered = encodeCursor({ ...decodeCursor(cursor), value: "1); drop table runs; --" });
    await assert.rejects(runsPage(database.db, scope, { after: tampered }), InvalidCursorError);
    await assert.rejects(runsPage(database.db, scope, { first: 0 }), InvalidPageRequestError);
    await assert.rejects(runsPage(database.db, scope, { first: 501 }), InvalidPageRequestError);
    await assert.rejects(runsPage(database.db, scope, { filter: { datasetId: "x" } }), InvalidPageRequestError);
  });
});
