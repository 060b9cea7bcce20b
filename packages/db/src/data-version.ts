import type { PGlite } from "@electric-sql/pglite";
import { sql } from "drizzle-orm";
import { type Db, pgliteClientOf } from "./client.ts";
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

/** Where the bump announces each new version, in sessions that ask (migration 0018). */
const CHANNEL = "graft_data_version";

const followers = new WeakMap<Db, Promise<() => string>>();

/**
 * On PGlite, a function returning the data version kept in memory, exact without a read;
 * null on PostgreSQL (read `dataVersion` there). The first call per database sets it up.
 *
 * Why it is exact: PGlite runs in this process with one connection, so every commit is made
 * here, through this client. The bump announces its version with NOTIFY (migration 0018),
 * and PGlite hands a notification to its listener while it runs the COMMIT: it parses the
 * backend's messages synchronously inside the call, and queues each listener in a microtask
 * there (@electric-sql/pglite 0.5, `PGlite#parse`), before the call returns and so before the
 * COMMIT's promise can resolve. Whoever awaited a commit therefore finds its version here at
 * once (data-version.test.ts commits through Drizzle, a transaction and raw PGlite and reads
 * right after). NOTIFY is transactional: a rolled-back write announces nothing, as it bumps
 * nothing. Versions only grow, so a late or repeated announcement can never move it back.
 * One way loses an announcement: a multi-statement `exec` (simple protocol) in which a
 * statement after a COMMIT fails (PGlite drops the messages after an error). Nothing sends
 * that: Drizzle sends one statement per message, and the client stays inside this package.
 *
 * On PostgreSQL other replicas write too and their NOTIFY reaches this one late, so a caller
 * that saw another replica's write committed could still get the old version: not exact.
 */
export function followDataVersion(db: Db): Promise<(() => string) | null> {
  const client = pgliteClientOf(db);
  if (!client) return Promise.resolve(null);
  let follower = followers.get(db);
  if (!follower) {
    follower = follow(client);
    followers.set(db, follower);
  }
  return follower;
}

async function follow(client: PGlite): Promise<() => string> {
  let version = 0n;
  let text = "0";
  const heard = (payload: string) => {
    const announced = BigInt(payload);
    if (announced > version) {
      version = announced;
      text = payload;
    }
  };
  await client.listen(CHANNEL, heard);
  // Session-wide on PGlite's only connection. Set between transactions (PGlite runs exec
  // under its transaction lock): every commit after this announces, every one before it is in
  // the read below.
  await client.exec("set graft.data_version_notify = 'on'");
  const [row] = (await client.query<{ version: string }>("select version::text as version from data_version")).rows;
  if (!row) throw new Error("data_version has no row (migration 0016 not applied?)");
  heard(row.version);
  return () => text;
}
