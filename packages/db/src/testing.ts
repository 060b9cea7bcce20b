/**
 * Test API of @graft/db (`@graft/db/testing`): fresh databases per test on either driver,
 * the driver matrix that runs a suite on each, and small valid rows. Not for production code.
 */
export {
  createTestDatabase,
  createTestDatabaseTarget,
  type TestDatabase,
  type TestDatabaseTarget,
  TestPostgresNotConfiguredError,
} from "./test-database.ts";
export { describeEachDriver, type TestDriver, testPostgresServer } from "./test-drivers.ts";
export { insertDataset, insertModel, insertProject, insertRun } from "./test-fixtures.ts";
