import assert from "node:assert/strict";
import { test } from "node:test";
import { rateLimits, workLeases } from "@graft/db";
import { createTestDatabase, describeEachDriver } from "@graft/db/testing";
import { WorkLeases } from "../http/work-leases.ts";
import { RequestLimiter } from "./request-limiter.ts";

describeEachDriver((driver) => {
  test("two limiters on one database (two replicas) share each key's count", async () => {
    const database = await createTestDatabase(driver);
    try {
      const rate = { requests: 5, windowMs: 60_000 };
      const [a, b] = [new RequestLimiter(database.db, rate), new RequestLimiter(database.db, rate)];
      const verdicts = [];
      for (let i = 0; i < 8; i++) verdicts.push(await (i % 2 ? a : b).take({ apiKeyId: "key-1" }));
      assert.equal(verdicts.filter((v) => v === null).length, 5, "five requests pass in all, not five per limiter");
      const refused = verdicts.at(-1);
      assert.equal(refused?.extensions.code, "RATE_LIMITED");
      assert.equal((refused?.extensions.http as { status?: number } | undefined)?.status, 429);
      assert.ok(Number(refused?.extensions.retryAfter) >= 1);
      assert.equal(await a.take({ apiKeyId: "key-2" }), null, "another key has its own count");
    } finally {
      await database.close();
    }
  });

  test("a spent key is refused from memory until its window ends: a flood past the limit writes nothing more", async () => {
    const database = await createTestDatabase(driver);
    try {
      const limiter = new RequestLimiter(database.db, { requests: 5, windowMs: 60_000 });
      const verdicts = [];
      for (let i = 0; i < 25; i++) verdicts.push(await limiter.take({ apiKeyId: "key-1" }));
      assert.equal(verdicts.filter((v) => v === null).length, 5);
      for (const refused of verdicts.slice(5)) {
        assert.equal(refused?.extensions.code, "RATE_LIMITED");
        assert.equal((refused?.extensions.http as { status?: number } | undefined)?.status, 429);
        assert.ok(Number(refused?.extensions.retryAfter) >= 1);
      }
      const rows = await database.db.select().from(rateLimits);
      assert.deepEqual(
        rows.map((r) => r.points),
        [5],
        "the refused requests never reached the shared counter",
      );
    } finally {
      await database.close();
    }
  });

  test("without its database the limiter fails closed: 503 RATE_LIMITED with Retry-After, never a free pass", async () => {
    const database = await createTestDatabase(driver);
    const limiter = new RequestLimiter(database.db, { requests: 100, windowMs: 60_000 });
    assert.equal(await limiter.take({ apiKeyId: "key-1" }), null);
    await database.close();
    const refused = await limiter.take({ apiKeyId: "key-1" });
    assert.equal(refused?.extensions.code, "RATE_LIMITED");
    assert.equal((refused?.extensions.http as { status?: number } | undefined)?.status, 503);
    assert.equal(refused?.extensions.retryAfter, 5);
  });

  test("work leases: at most `max` live per holder across instances; a released or expired lease frees its slot", async () => {
    const database = await createTestDatabase(driver);
    try {
      const [a, b] = [new WorkLeases(database.db, "upload", 60_000), new WorkLeases(database.db, "upload", 60_000)];
      const held = await Promise.all([a, b, a, b].map((leases) => leases.acquire("key-1", 2)));
      assert.equal(held.filter(Boolean).length, 2, JSON.stringify(held));
      assert.ok(await a.acquire("key-2", 2), "another holder has its own slots");
      await b.release(held.find(Boolean) as string);
      assert.ok(await a.acquire("key-1", 2), "a released slot is free again");
      assert.equal(await a.acquire("key-1", 2), null);
      // A replica that died leaves its rows; they end with their lease.
      await database.db.update(workLeases).set({ expiresAt: new Date(Date.now() - 1) });
      assert.ok(await b.acquire("key-1", 2), "expired leases no longer count");
      assert.equal((await database.db.select().from(rateLimits)).length, 0, "leases and rate counters are apart");
    } finally {
      await database.close();
    }
  });
});
