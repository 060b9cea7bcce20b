// Public API of @graft/db: the lineage store's schema, client factory and queries.
export { createDatabase, type Database, type DatabaseOptions, type Db } from "./client.ts";
export { DatabaseMigrationError, DatabaseUnavailableError, InvalidCursorError } from "./errors.ts";
export { migrationsFolder } from "./migrate.ts";
export { rowsOf } from "./rows.ts";
export * from "./schema.ts";
export {
  createTestDatabase,
  createTestDatabaseTarget,
  type TestDatabase,
  type TestDatabaseTarget,
} from "./testing.ts";
