import { drizzle as drizzlePg } from "drizzle-orm/node-postgres";
import { PgDialect } from "drizzle-orm/pg-core";
import type { SQL } from "drizzle-orm/sql";
import type pg from "pg";
import { type Db, usesPglite } from "./client.ts";
import { rowsOf } from "./rows.ts";

type Row = Record<string, unknown>;

/** What the body of a pipelined transaction hands back: its result, and the statement COMMIT carries. */
export interface PipelinedBody<T> {
  value: T;
  /** The transaction's last statement, sent together with COMMIT; its rows come back with the value. */
  last?: SQL;
}

/**
 * A transaction whose first statement goes out with BEGIN and whose last one with COMMIT. On
 * PostgreSQL each pair is one multi-statement simple query, so the transaction costs two
 * round trips fewer than Drizzle's `transaction()` (BEGIN, then the first statement; the last
 * statement, then COMMIT), which on a loaded database is time the connection sits idle. The
 * simple query protocol takes no parameters, so those two statements' parameters are written
 * into the text as literals (text and finite numbers only, see `literal`). Statements in
 * between go through `tx` as usual. On PGlite, where a round trip is a function call, it is
 * Drizzle's `transaction()` with the same statements.
 *
 * An error anywhere rolls the transaction back and is rethrown (in a multi-statement query,
 * PostgreSQL skips what follows a failed statement, so COMMIT never runs after a failed last
 * statement).
 */
export async function pipelinedTransaction<T>(
  db: Db,
  first: SQL,
  body: (tx: Db, firstRows: Row[]) => Promise<PipelinedBody<T>>,
): Promise<{ value: T; lastRows: Row[] }> {
  if (usesPglite(db)) {
    return db.transaction(async (tx) => {
      const firstRows = rowsOf<Row>(await tx.execute(first));
      const { value, last } = await body(tx, firstRows);
      return { value, lastRows: last ? rowsOf<Row>(await tx.execute(last)) : [] };
    });
  }
  return inTransaction(db, async (client) => {
    const opened = await simpleQuery(client, `BEGIN; ${inline(client, first)}`);
    // Statements in between run on this connection, inside the transaction. The relational
    // query API (db.query) is not set up on it: the bodies use the query builders and execute.
    const tx = drizzlePg({ client }) as unknown as Db;
    const { value, last } = await body(tx, opened[1]?.rows ?? []);
    const closed = await committed(simpleQuery(client, last ? `${inline(client, last)}; COMMIT` : "COMMIT"));
    return { value, lastRows: last ? (closed[0]?.rows ?? []) : [] };
  });
}

/**
 * A transaction sent whole: on PostgreSQL `BEGIN; s1; ...; sn; COMMIT` as one simple-query
 * message, one round trip, for a transaction whose statements do not depend on each other's
 * results in JavaScript (a statement may still read what the ones before it wrote). Returns each
 * statement's rows, in order. Parameters become literals as in `pipelinedTransaction`. A failed
 * statement makes PostgreSQL skip the rest of the message, COMMIT included: everything is
 * rolled back and the error rethrown. On PGlite it is Drizzle's `transaction()`.
 */
export async function oneMessageTransaction(db: Db, statements: readonly SQL[]): Promise<Row[][]> {
  if (usesPglite(db)) {
    return db.transaction(async (tx) => {
      const results: Row[][] = [];
      for (const statement of statements) results.push(rowsOf<Row>(await tx.execute(statement)));
      return results;
    });
  }
  return inTransaction(db, async (client) => {
    const text = ["BEGIN", ...statements.map((s) => inline(client, s)), "COMMIT"].join("; ");
    // Results of BEGIN and COMMIT left out.
    return (await committed(simpleQuery(client, text))).slice(1, -1).map((r) => r.rows ?? []);
  });
}

/**
 * Runs `work` (which opens and commits a transaction) on a pooled PostgreSQL connection; if it
 * fails, rolls back and rethrows. A connection that could not roll back is closed, not reused.
 */
async function inTransaction<T>(db: Db, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await (db as unknown as { $client: pg.Pool }).$client.connect();
  let broken: Error | undefined;
  try {
    return await work(client);
  } catch (error) {
    await client.query("ROLLBACK").catch((rollbackError: Error) => {
      broken = rollbackError;
    });
    throw error;
  } finally {
    client.release(broken);
  }
}

/** The results of a message that ends with COMMIT; a transaction that failed on the way answers ROLLBACK to it instead of an error. */
async function committed(results: Promise<pg.QueryResult<Row>[]>): Promise<pg.QueryResult<Row>[]> {
  const done = await results;
  if (done.at(-1)?.command !== "COMMIT") throw new Error("the transaction was rolled back at COMMIT");
  return done;
}

const dialect = new PgDialect();

/** A simple query's results, one per statement (pg returns a lone result unwrapped). */
async function simpleQuery(client: pg.PoolClient, text: string): Promise<pg.QueryResult<Row>[]> {
  const result = (await client.query(text)) as pg.QueryResult<Row> | pg.QueryResult<Row>[];
  return Array.isArray(result) ? result : [result];
}

/** The statement's text with each `$n` replaced by its parameter as a literal. */
function inline(client: pg.PoolClient, statement: SQL): string {
  const { sql: text, params } = dialect.sqlToQuery(statement);
  return text.replace(/\$(\d+)/g, (_, n: string) => literal(client, params[Number(n) - 1]));
}

/**
 * A parameter as an SQL literal. Text without backslashes only needs its quotes doubled
 * (standard_conforming_strings, on since PostgreSQL 9.1); pg's escapeLiteral handles the rest.
 * Anything else than text and finite numbers is refused rather than guessed at.
 */
function literal(client: pg.PoolClient, value: unknown): string {
  if (typeof value === "string")
    return value.includes("\\") ? client.escapeLiteral(value) : `'${value.replaceAll("'", "''")}'`;
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  throw new TypeError(`a pipelined statement takes text and finite numbers as parameters, not ${typeof value}`);
}
