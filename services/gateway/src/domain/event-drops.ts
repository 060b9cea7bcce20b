import { type Db, eventDrops } from "@graft/db";
import { count, desc } from "drizzle-orm";
import { requireAdmin } from "./access.ts";
import type { Caller } from "./deps.ts";
import { BadUserInputError } from "./errors.ts";

/** Run events the gateway refused or dead-lettered: fleet-wide, so ADMIN only. */
export class EventDropQueries {
  constructor(
    private readonly db: Db,
    private readonly caller: Caller | null,
  ) {}

  async list(first: number) {
    requireAdmin(this.caller);
    if (!Number.isInteger(first) || first < 0 || first > 500) {
      throw new BadUserInputError("first", "first must be between 0 and 500");
    }
    const [total] = await this.db.select({ n: count() }).from(eventDrops);
    const items = await this.db.select().from(eventDrops).orderBy(desc(eventDrops.at)).limit(first);
    return { total: total?.n ?? 0, items };
  }
}
