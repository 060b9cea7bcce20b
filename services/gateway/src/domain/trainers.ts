import type { TrainerStatus } from "@graft/contracts";
import { type Db, trainers } from "@graft/db";
import { and, asc, eq, isNull } from "drizzle-orm";
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

  /** The fleet: removed trainers are left out (they stay readable by id, for their runs' history). */
  async list(status?: TrainerStatus | null): Promise<TrainerRow[]> {
    return await this.db
      .select()
      .from(trainers)
      .where(and(isNull(trainers.removedAt), status ? eq(trainers.status, status) : undefined))
      .orderBy(asc(trainers.registeredAt), asc(trainers.id));
  }
}
