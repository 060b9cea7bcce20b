import { sql } from "drizzle-orm";
import type { Db } from "./client.ts";
import { rowsOf } from "./rows.ts";

/**
 * The database's data version (migration 0016): it moves, in the writing transaction, with
 * every committed change to the rows the gateway's response cache serves (runs, run_epochs,
 * models, datasets, experiments, trainer names), and with nothing else. Equal versions mean
 * those rows are unchanged in between. A decimal string (bigint).
 */
export async function dataVersion(db: Db): Promise<string> {
  const [row] = rowsOf<{ version: string }>(await db.execute(sql`select version::text as version from data_version`));
  if (!row) throw new Error("data_version has no row (migration 0016 not applied?)");
  return row.version;
}
