import { type Db, workLeases } from "@graft/db";
import { and, count, eq, gt, lte, sql } from "drizzle-orm";

/**
 * At most `max` pieces of work in flight per holder (e.g. uploads per API key) across every
 * gateway replica: each piece holds a row of `work_leases` until it ends. A row also ends on
 * its own after `leaseMs`, so a replica that dies mid-upload does not keep the slot forever.
 */
export class WorkLeases {
  constructor(
    private readonly db: Db,
    private readonly kind: string,
    private readonly leaseMs: number,
  ) {}

  /**
   * A lease id, or null when `holder` already has `max` live leases. The per-holder
   * transaction lock makes count-then-insert atomic between replicas (PostgreSQL advisory
   * locks are held by the server, so they serialize every replica's transactions).
   */
  async acquire(holder: string, max: number): Promise<string | null> {
    const key = `${this.kind}:${holder}`;
    return await this.db.transaction(async (tx) => {
      await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${key}, 0))`);
      await tx.delete(workLeases).where(and(eq(workLeases.holder, key), lte(workLeases.expiresAt, new Date())));
      const [live] = await tx
        .select({ n: count() })
        .from(workLeases)
        .where(and(eq(workLeases.holder, key), gt(workLeases.expiresAt, new Date())));
      if ((live?.n ?? 0) >= max) return null;
      const [row] = await tx
        .insert(workLeases)
        .values({ holder: key, expiresAt: new Date(Date.now() + this.leaseMs) })
        .returning({ id: workLeases.id });
      return row?.id ?? null;
    });
  }

  async release(id: string): Promise<void> {
    await this.db.delete(workLeases).where(eq(workLeases.id, id));
  }
}
