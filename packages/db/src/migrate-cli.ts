// `npm run db:migrate`: applies pending migrations to DATABASE_URL (or PGLITE_DIR) and exits.
import { createDatabase } from "./client.ts";

const url = process.env.DATABASE_URL || undefined;
const pgliteDir = process.env.PGLITE_DIR || undefined;
if (url === undefined && pgliteDir === undefined) {
  console.error("set DATABASE_URL (PostgreSQL) or PGLITE_DIR (PGlite data directory) to migrate");
  process.exit(1);
}
try {
  const database = await createDatabase({ url, pgliteDir });
  await database.close();
  console.log(`migrated ${database.driver} database`);
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}
