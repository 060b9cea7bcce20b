import { isUuid, type TrainerStatus } from "@graft/contracts";
import { type Db, trainers } from "@graft/db";
import { asc, eq, inArray } from "drizzle-orm";
import { NotFoundError } from "./errors.ts";
import { checkId } from "./ids.ts";
import type { TrainerRow } from "./rows.ts";

/** Trainers are fleet-wide: every project sees the same nodes. */
export class TrainerQueries {
  constructor(private readonly db: Db) {}

  async byIds(ids: readonly string[]): Promise<Map<string, TrainerRow>> {
    const valid = ids.filter(isUuid);
    if (valid.length === 0) return new Map();
    const rows = await this.db.select().from(trainers).where(inArray(trainers.id, valid));
    return new Map(rows.map((r) => [r.id, r]));
  }

  async get(id: string, field?: string): Promise<TrainerRow> {
    const found = (await this.byIds([checkId("trainer", id, field)])).get(id.toLowerCase());
    if (!found) throw new NotFoundError("trainer", id, field);
    return found;
  }

  async list(status?: TrainerStatus | null): Promise<TrainerRow[]> {
    const query = this.db.select().from(trainers);
    const filtered = status ? query.where(eq(trainers.status, status)) : query;
    return await filtered.orderBy(asc(trainers.registeredAt), asc(trainers.id));
  }
}
