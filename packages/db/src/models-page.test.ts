import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { InvalidCursorError, InvalidPageRequestError } from "./errors.ts";
import { countModels, type ModelsPageInput, modelsPage } from "./models-page.ts";
import { runsPage } from "./runs-page.ts";
import { type ProjectScope, projectScope } from "./scope.ts";
import { insertDataset, insertModel, insertProject, insertRun, pageIds } from "./test-fixtures.ts";
import { createTestDatabase, describeEachDriver, type TestDatabase } from "./testing.ts";

describeEachDriver((driver) => {
  let database: TestDatabase;
  let scope: ProjectScope;
  /** Ids the project sees, newest first (created_at desc, id desc). */
  let expectedOrder: string[];
  let builtinId: string;

  before(async () => {
    database = await createTestDatabase(driver);
    const { db } = database;
    const projectId = await insertProject(db, "p");
    const otherId = await insertProject(db, "q");
    scope = projectScope(projectId);
    const at = (ms: number) => new Date(Date.UTC(2026, 0, 1) + ms);
    builtinId = await insertModel(db, { name: "builtin", projectId: null, createdAt: at(0) });
    const rows = [{ id: builtinId, ms: 0 }];
    // Two share a creation time, so the id tie-break is exercised.
    for (const [i, ms] of [1000, 2000, 2000, 3000].entries()) {
      const id = await insertModel(db, { name: `own_${i}%`, projectId, parentId: builtinId, createdAt: at(ms) });
      rows.push({ id, ms });
    }
    await insertModel(db, { name: "foreign", projectId: otherId, createdAt: at(4000) });
    expectedOrder = rows.sort((a, b) => b.ms - a.ms || (a.id < b.id ? 1 : -1)).map((r) => r.id);
  });

  after(() => database.close());

  const allPages = (input: Omit<ModelsPageInput, "after">) =>
    pageIds((after) => modelsPage(database.db, scope, { ...input, after }));

  test("pages walk the project's models and the built-ins newest first, never another project's", async () => {
    const pages = await allPages({ first: 2 });
    assert.deepEqual(
      pages.map((p) => p.length),
      [2, 2, 1],
    );
    assert.deepEqual(pages.flat(), expectedOrder);
    assert.equal(await countModels(database.db, scope), 5);
  });

  test("filters narrow pages and count alike; a malformed parent id matches nothing", async () => {
    const children = (await allPages({ first: 3, filter: { parentId: builtinId } })).flat();
    assert.deepEqual(children, expectedOrder.slice(0, 4));
    assert.equal(await countModels(database.db, scope, { kind: "BASE" }), 1);
    // `%` is a literal in nameContains, not a wildcard.
    assert.equal(await countModels(database.db, scope, { nameContains: "_1%" }), 1);
    assert.deepEqual((await allPages({ filter: { parentId: "not-an-id" } })).flat(), []);
    assert.equal(await countModels(database.db, scope, { parentId: "not-an-id" }), 0);
  });

  test("a cursor of another list, a tampered one and sizes outside the policy get typed errors", async () => {
    const datasetId = await insertDataset(database.db, null);
    await insertRun(database.db, { projectId: scope.projectId, baseModelId: builtinId, datasetId });
    const runCursor = String((await runsPage(database.db, scope, { first: 1 })).pageInfo.endCursor);
    await assert.rejects(modelsPage(database.db, scope, { after: runCursor }), InvalidCursorError);
    await assert.rejects(modelsPage(database.db, scope, { after: "garbage" }), InvalidCursorError);
    await assert.rejects(modelsPage(database.db, scope, { first: 0 }), InvalidPageRequestError);
    await assert.rejects(modelsPage(database.db, scope, { first: 501 }), InvalidPageRequestError);
  });
});
