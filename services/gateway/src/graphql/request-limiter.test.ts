import assert from "node:assert/strict";
import { test } from "node:test";
import { rateLimits, workLeases } from "@graft/db";
import { createTestDatabase, describeEachDriver } from "@graft/db/testing";
import { WorkLeases } from "../http/work-leases.ts";
import { leaseSize, RequestLimiter } from "./request-limiter.ts";

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

  test("a replica takes its key's requests from the shared count in leases: one write per lease, never past the rate", async () => {
    const database = await createTestDatabase(driver);
    try {
      const rate = { requests: 1000, windowMs: 60_000 };
      const lease = leaseSize(rate);
      assert.equal(lease, 10);
      const [a, b] = [new RequestLimiter(database.db, rate), new RequestLimiter(database.db, rate)];
      assert.equal(await a.take({ apiKeyId: "key-1" }), null);
      const points = async () => (await database.db.select().from(rateLimits)).map((r) => r.points);
      assert.deepEqual(await points(), [lease], "the first request leased a whole lease");
      for (let i = 1; i < lease; i++) assert.equal(await a.take({ apiKeyId: "key-1" }), null);
      assert.deepEqual(await points(), [lease], "the rest of the lease was served from memory");
      // Both replicas at once, concurrently, far past the rate: exactly the rate passes in all
      // when every lease gets used, and no request is served that was not counted first.
      const verdicts = await Promise.all(
        Array.from({ length: 1200 }, (_, i) => (i % 2 ? a : b).take({ apiKeyId: "key-1" })),
      );
      const served = lease + verdicts.filter((v) => v === null).length;
      assert.ok(served <= rate.requests, `${served} served, rate ${rate.requests}`);
      assert.ok(
        served >= rate.requests - (lease - 1),
        `${served} served: at most one lease unused on the other replica`,
      );
      for (const refused of verdicts.filter((v) => v !== null)) {
        assert.equal((refused?.extensions.http as { status?: number } | undefined)?.status, 429);
      }
      const writes = (await points())[0] ?? 0;
      assert.ok(writes <= rate.requests + 2 * lease, "refusals past the rate are answered from memory");
    } finally {
      await database.close();
    }
  });

  test("a lease's unserved requests outlive the database (they were counted); after them, 503", async () => {
    const database = await createTestDatabase(driver);
    const rate = { requests: 500, windowMs: 60_000 };
    const limiter = new RequestLimiter(database.db, rate);
    assert.equal(await limiter.take({ apiKeyId: "key-1" }), null);
    await database.close();
    for (let i = 1; i < leaseSize(rate); i++) assert.equal(await limiter.take({ apiKeyId: "key-1" }), null);
    const refused = await limiter.take({ apiKeyId: "key-1" });
    assert.equal((refused?.extensions.http as { status?: number } | undefined)?.status, 503);
    assert.equal(refused?.extensions.retryAfter, 5);
    const other = await limiter.take({ apiKeyId: "key-2" });
    assert.equal((other?.extensions.http as { status?: number } | undefined)?.status, 503, "a key with no lease");
  });

  test("a lease lapses with its window: the next window's first request takes a fresh lease", async () => {
    const database = await createTestDatabase(driver);
    try {
      const rate = { requests: 300, windowMs: 1000 };
      const limiter = new RequestLimiter(database.db, rate);
      assert.equal(await limiter.take({ apiKeyId: "key-1" }), null);
      const [first] = await database.db.select().from(rateLimits);
      const firstEnd = first?.expire?.getTime() ?? 0;
      // Past the window's end (the row's expire), whatever the machine's speed.
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, firstEnd - Date.now()) + 50));
      assert.equal(await limiter.take({ apiKeyId: "key-1" }), null);
      const [second] = await database.db.select().from(rateLimits);
      assert.ok((second?.expire?.getTime() ?? 0) > firstEnd, "a new window was counted, not the old lease's rest");
      assert.equal(second?.points, leaseSize(rate), "the new window's count holds only the new lease");
    } finally {
      await database.close();
    }
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
