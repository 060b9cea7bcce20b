/**
 * `db.execute` resolves to a driver-specific result (pg's QueryResult, PGlite's Results);
 * both carry `rows`, which is all the portable code needs.
 */
export function rowsOf<T>(result: unknown): T[] {
  const rows = (result as { rows?: unknown }).rows;
  if (!Array.isArray(rows)) throw new TypeError("db.execute result has no rows array");
  return rows as T[];
}
