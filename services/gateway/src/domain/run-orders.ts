import { runs } from "@graft/db";
import { sql } from "drizzle-orm";
import type { KeysetOrder } from "./keyset.ts";

export type RunOrderField = "QUEUED_AT" | "FINISHED_AT" | "BEST_VAL_ACCURACY" | "BEST_VAL_LOSS";
export type Direction = "ASC" | "DESC";

// Nulls become the worst value, so unfinished or unscored runs sort last in the natural direction.
const EXPRESSIONS: Record<RunOrderField, { expr: ReturnType<typeof sql>; cast: KeysetOrder["cast"] }> = {
  QUEUED_AT: { expr: sql`${runs.queuedAt}`, cast: "timestamptz" },
  FINISHED_AT: { expr: sql`coalesce(${runs.finishedAt}, '-infinity'::timestamptz)`, cast: "timestamptz" },
  BEST_VAL_ACCURACY: { expr: sql`coalesce(${runs.bestValAccuracy}, '-Infinity'::float8)`, cast: "float8" },
  BEST_VAL_LOSS: { expr: sql`coalesce(${runs.bestValLoss}, 'Infinity'::float8)`, cast: "float8" },
};

export function runOrder(field: RunOrderField = "QUEUED_AT", direction: Direction = "DESC"): KeysetOrder {
  const { expr, cast } = EXPRESSIONS[field];
  return { name: `runs.${field}.${direction}`, expr, cast, direction };
}
