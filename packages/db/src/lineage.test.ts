import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { eq, sql } from "drizzle-orm";
import {
  ancestors,
  children,
  descendantNodes,
  descendantSummaries,
  descendants,
  type LineageEntry,
  MODEL_SUMMARY_KEYS,
  siblings,
} from "./lineage.ts";
import { models } from "./schema.ts";
import { projectScope } from "./scope.ts";
import { insertModel, insertProject } from "./test-fixtures.ts";
import { createTestDatabase, describeEachDriver, type TestDatabase } from "./testing.ts";

describeEachDriver((driver) => {
  let database: TestDatabase;
  const id: Record<string, string> = {};
  let P: ReturnType<typeof projectScope>;
  let Q: ReturnType<typeof projectScope>;

  // base (built-in) ─┬─ a1 ─┬─ a1a ── a1a1      (project P)
  //                  │      └─ a1b
  //                  ├─ a2
  //                  └─ q1                        (project Q)
  before(async () => {
    database = await createTestDatabase(driver);
    const { db } = database;
    const p = await insertProject(db, "p");
    const q = await insertProject(db, "q");
    P = projectScope(p);
    Q = projectScope(q);
    let t = Date.parse("2026-01-01T00:00:00Z");
    const at = () => {
      t += 1000;
      return new Date(t);
    };
    id.base = await insertModel(db, { name: "base", projectId: null, createdAt: at() });
    id.a1 = await insertModel(db, { name: "a1", projectId: p, parentId: id.base, createdAt: at() });
    id.a2 = await insertModel(db, { name: "a2", projectId: p, parentId: id.base, createdAt: at() });
    id.q1 = await insertModel(db, { name: "q1", projectId: q, parentId: id.base, createdAt: at() });
    id.a1a = await insertModel(db, { name: "a1a", projectId: p, parentId: id.a1, createdAt: at() });
    id.a1b = await insertModel(db, { name: "a1b", projectId: p, parentId: id.a1, createdAt: at() });
    id.a1a1 = await insertModel(db, { name: "a1a1", projectId: p, parentId: id.a1a, createdAt: at() });
  });

  after(() => database.close());

  const named = (entries: LineageEntry[]) => entries.map((e) => `${e.model.name}@${e.distance}`);

  test("the insert trigger gives every model its tree's root and its depth", async () => {
    const rows = await database.db.select().from(models);
    const byName = new Map(rows.map((r) => [r.name, r]));
    assert.equal(byName.get("base")?.rootId, id.base);
    assert.equal(byName.get("base")?.depth, 0);
    assert.equal(byName.get("a1a1")?.rootId, id.base);
    assert.equal(byName.get("a1a1")?.depth, 3);
    assert.equal(byName.get("q1")?.depth, 1);
  });

  test("the trigger overrides lineage fields a caller gets wrong", async () => {
    const [row] = await database.db
      .insert(models)
      .values({
        ...(
          await database.db
            .select()
            .from(models)
            .where(eq(models.id, String(id.a1b)))
        )[0],
        id: crypto.randomUUID(),
        name: "wrong",
        rootId: crypto.randomUUID(),
        depth: 42,
        builtinKey: null,
      } as typeof models.$inferInsert)
      .returning();
    await database.db.delete(models).where(eq(models.name, "wrong"));
    assert.equal(row?.rootId, id.base);
    assert.equal(row?.depth, 2);
  });

  test("a model's parent cannot be changed after insert", async () => {
    await assert.rejects(
      database.db
        .update(models)
        .set({ parentId: id.a2 })
        .where(eq(models.id, String(id.a1a))),
      (error: Error) => {
        assert.match(String(error.cause), /lineage .* cannot change/);
        return true;
      },
    );
    const [row] = await database.db
      .select()
      .from(models)
      .where(eq(models.id, String(id.a1a)));
    assert.equal(row?.parentId, id.a1);
  });

  test("ancestors run nearest first up to the root", async () => {
    assert.deepEqual(named(await ancestors(database.db, P, String(id.a1a1))), ["a1a@1", "a1@2", "base@3"]);
    assert.deepEqual(named(await ancestors(database.db, P, String(id.a1))), ["base@1"]);
    assert.deepEqual(await ancestors(database.db, P, String(id.base)), []);
  });

  test("descendants of a root are the whole visible subtree with each one's distance", async () => {
    assert.deepEqual(named(await descendants(database.db, P, String(id.base))), [
      "a1@1",
      "a2@1",
      "a1a@2",
      "a1b@2",
      "a1a1@3",
    ]);
    assert.deepEqual(named(await descendants(database.db, P, String(id.base), { maxDepth: 2 })), [
      "a1@1",
      "a2@1",
      "a1a@2",
      "a1b@2",
    ]);
  });

  test("descendants of an inner model walk its subtree and honour maxDepth", async () => {
    assert.deepEqual(named(await descendants(database.db, P, String(id.a1))), ["a1a@1", "a1b@1", "a1a1@2"]);
    assert.deepEqual(named(await descendants(database.db, P, String(id.a1), { maxDepth: 1 })), ["a1a@1", "a1b@1"]);
    assert.deepEqual(await descendants(database.db, P, String(id.a1a1)), []);
  });

  test("siblings are the parent's other children; children are direct only", async () => {
    assert.deepEqual(
      (await siblings(database.db, P, String(id.a1a))).map((m) => m.name),
      ["a1b"],
    );
    assert.deepEqual(
      (await siblings(database.db, P, String(id.a1))).map((m) => m.name),
      ["a2"],
    );
    assert.deepEqual(await siblings(database.db, P, String(id.base)), []);
    assert.deepEqual(
      (await children(database.db, P, String(id.a1))).map((m) => m.name),
      ["a1a", "a1b"],
    );
  });

  test("another project's models are invisible; built-ins are visible to every project", async () => {
    assert.deepEqual(named(await descendants(database.db, Q, String(id.base))), ["q1@1"]);
    assert.deepEqual(
      (await children(database.db, Q, String(id.base))).map((m) => m.name),
      ["q1"],
    );
    assert.deepEqual(named(await ancestors(database.db, Q, String(id.q1))), ["base@1"]);
    assert.deepEqual(await ancestors(database.db, Q, String(id.a1a1)), []);
    assert.deepEqual(await descendants(database.db, Q, String(id.a1)), []);
    assert.deepEqual(await siblings(database.db, Q, String(id.a1a)), []);
    assert.deepEqual(
      (await siblings(database.db, Q, String(id.q1))).map((m) => m.name),
      [],
    );
  });

  test("ids that are not UUIDs find nothing instead of failing the query", async () => {
    assert.deepEqual(await ancestors(database.db, P, "../etc"), []);
    assert.deepEqual(await descendants(database.db, P, "x"), []);
    assert.deepEqual(await siblings(database.db, P, "x"), []);
    assert.throws(() => projectScope("not-a-uuid"), TypeError);
  });

  test("lineage rows decode exactly like a plain select of the same models", async () => {
    const viaLineage = (await descendants(database.db, P, String(id.base))).map((e) => e.model);
    const plain = await database.db.select().from(models);
    for (const model of viaLineage) {
      assert.deepEqual(
        model,
        plain.find((m) => m.id === model.id),
      );
    }
    assert.ok(viaLineage[0]?.createdAt instanceof Date);
  });

  test("descendant nodes give the same subtree, order and distances as full descendants", async () => {
    for (const [from, maxDepth] of [
      [id.base, undefined],
      [id.a1, undefined],
      [id.base, 2],
    ] as const) {
      const nodes = await descendantNodes(database.db, P, String(from), { maxDepth });
      const full = await descendants(database.db, P, String(from), { maxDepth });
      assert.deepEqual(
        nodes.map((n) => `${n.name}@${n.distance}<${n.parentId}`),
        full.map((e) => `${e.model.name}@${e.distance}<${e.model.parentId}`),
      );
    }
    assert.deepEqual(
      (await descendantNodes(database.db, Q, String(id.base))).map((n) => n.name),
      ["q1"],
    );
  });

  test("descendant summaries are the full rows' summary columns, in the same subtree and order", async () => {
    const { db } = database;
    // Every summary column set on one model (a scratch fine-tune whose frozen layers differed).
    await db.execute(sql`update models set verified_lineage = false, lineage_reason = 'features differs',
        initialization = 'SCRATCH', produced_by_run_id = gen_random_uuid(), architecture = 'cnn-b'
      where id = ${id.a1a}::uuid`);
    const summaryOf = (model: Record<string, unknown>) =>
      Object.fromEntries(MODEL_SUMMARY_KEYS.map((key) => [key, model[key]]));
    for (const [scope, from, maxDepth, what] of [
      [P, id.base, undefined, "a root"],
      [P, id.a1, undefined, "an inner model"],
      [P, id.base, 2, "a root, two generations"],
      [P, id.a1, 1, "an inner model, its children"],
      [Q, id.base, undefined, "another project's view"],
      [P, id.a1a1, undefined, "a leaf"],
      [Q, id.a1, undefined, "a model the project cannot see"],
    ] as const) {
      const summaries = await descendantSummaries(db, scope, String(from), { maxDepth });
      const full = await descendants(db, scope, String(from), { maxDepth });
      assert.deepEqual(
        summaries,
        full.map((e) => ({ model: summaryOf(e.model), distance: e.distance })),
        what,
      );
    }
    const [a1a] = (await descendantSummaries(db, P, String(id.a1), { maxDepth: 1 })).filter(
      (e) => e.model.id === id.a1a,
    );
    assert.equal(a1a?.model.initialization, "SCRATCH");
    assert.equal(a1a?.model.verifiedLineage, false);
    assert.equal("layers" in (a1a?.model ?? {}), false);
    assert.equal(a1a?.model.createdAt instanceof Date, true);
    assert.deepEqual(await descendantSummaries(db, P, "not-a-uuid"), []);
  });

  test("siblings created in the same millisecond keep the database's order: microseconds, then id", async () => {
    const { db } = database;
    const p = P.projectId;
    const root = await insertModel(db, { name: "r", projectId: null });
    // Ids are set so that an order by milliseconds then id would differ from the right one.
    const child = async (name: string, parentId: string, createdAt: string, childId: string) => {
      const inserted = await insertModel(db, { name, projectId: p, parentId });
      await db.execute(
        sql`update models set id = ${childId}::uuid, created_at = ${createdAt}::timestamptz where id = ${inserted}::uuid`,
      );
      return childId;
    };
    const uuid = (last: string) => `00000000-0000-4000-8000-${last.padStart(12, "0")}`;
    const late = await child("late", root, "2026-01-02T00:00:00.000900Z", uuid("a1"));
    await child("early", root, "2026-01-02T00:00:00.000100Z", uuid("f1"));
    await child("tieA", root, "2026-01-02T00:00:01Z", uuid("b2"));
    const tieB = await child("tieB", root, "2026-01-02T00:00:01Z", uuid("a2"));
    await child("grandchild", late, "2026-01-01T00:00:00Z", uuid("c3"));
    const order = ["early@1", "late@1", "tieB@1", "tieA@1", "grandchild@2"];

    const full = await descendants(db, P, root);
    const nodes = await descendantNodes(db, P, root);
    assert.deepEqual(named(full), order);
    assert.deepEqual(
      nodes.map((n) => `${n.name}@${n.distance}`),
      order,
    );
    // The same instants as the driver's own mapping (both truncate to the millisecond).
    assert.deepEqual(
      nodes.map((n) => [n.id, n.parentId, n.projectId, n.kind, n.createdAt.toISOString()]),
      full.map((e) => [e.model.id, e.model.parentId, e.model.projectId, e.model.kind, e.model.createdAt.toISOString()]),
    );
    assert.equal(nodes[0]?.createdAt.toISOString(), "2026-01-02T00:00:00.000Z");
    // A leaf has no subtree; an inner model's subtree leaves out its parent's other children.
    assert.deepEqual(await descendantNodes(db, P, tieB), []);
    assert.deepEqual(
      (await descendantNodes(db, P, late)).map((n) => `${n.name}@${n.distance}<${n.parentId === late}`),
      ["grandchild@1<true"],
    );
  });
});
