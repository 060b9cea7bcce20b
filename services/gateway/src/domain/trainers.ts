import type { TrainerStatus } from "@graft/contracts";
import { type Db, trainers } from "@graft/db";
import { asc, eq } from "drizzle-orm";
import { rowById, rowsByIds } from "./lookup.ts";
import type { TrainerRow } from "./rows.ts";

/** Trainers are fleet-wide: every project sees the same nodes. */
export class TrainerQueries {
  constructor(private readonly db: Db) {}

  byIds(ids: readonly string[]): Promise<Map<string, TrainerRow>> {
    return rowsByIds(this.db, trainers, ids);
  }

  get(id: string, field?: string): Promise<TrainerRow> {
    return rowById("trainer", id, field, (ids) => this.byIds(ids));
  }

  async list(status?: TrainerStatus | null): Promise<TrainerRow[]> {
    const query = this.db.select().from(trainers);
    const filtered = status ? query.where(eq(trainers.status, status)) : query;
    return await filtered.orderBy(asc(trainers.registeredAt), asc(trainers.id));
  }
}
