import { describe } from "node:test";

/** The database drivers every database-sensitive suite runs on. */
const TEST_DRIVERS = ["pglite", "postgres"] as const;
export type TestDriver = (typeof TEST_DRIVERS)[number];

const HOW_TO_ENABLE = "set DATABASE_URL (e.g. postgres:///postgres) to run it on PostgreSQL too";

/**
 * The PostgreSQL server tests create their databases on: DATABASE_URL, read here only, so
 * a test run names one server for every suite. Undefined when PostgreSQL is not configured.
 */
export function testPostgresServer(): string | undefined {
  const url = process.env.DATABASE_URL;
  return url === undefined || url === "" ? undefined : url;
}

/** Why a suite on `driver` cannot run here (a message for node:test's `skip`), or false. */
function driverSkipReason(driver: TestDriver): string | false {
  if (driver === "postgres" && testPostgresServer() === undefined)
    return `PostgreSQL is not configured: ${HOW_TO_ENABLE}`;
  return false;
}

/**
 * The driver matrix (as drizzle runs one shared suite against every driver): registers
 * `suite` once per driver, each inside its own `describe("on <driver>")`, so one `npm test`
 * covers PGlite and PostgreSQL. Without DATABASE_URL the PostgreSQL half is reported as
 * skipped, with how to enable it. `drivers` narrows the matrix for suites that need one
 * driver (e.g. several processes sharing a database need PostgreSQL).
 */
export function describeEachDriver(
  suite: (driver: TestDriver) => void,
  options: { drivers?: readonly TestDriver[] } = {},
): void {
  for (const driver of options.drivers ?? TEST_DRIVERS) {
    describe(`on ${driver}`, { skip: driverSkipReason(driver) }, () => suite(driver));
  }
}
