// Public API of @graft/db: the lineage store's schema, client factory and queries.
export { createDatabase, type Database, type DatabaseOptions, type Db } from "./client.ts";
export { DatabaseMigrationError, DatabaseUnavailableError, InvalidCursorError } from "./errors.ts";
export {
  ancestors,
  children,
  type DescendantsOptions,
  descendantNodes,
  descendants,
  type LineageEntry,
  type LineageNode,
  lineageFieldsForChild,
  type ModelRow,
  siblings,
} from "./lineage.ts";
export { migrationsFolder } from "./migrate.ts";
export { rowsOf } from "./rows.ts";
export {
  countRuns,
  decodeCursor,
  encodeCursor,
  InvalidPageRequestError,
  MAX_PAGE_SIZE,
  type RunFilter,
  type RunOrder,
  type RunOrderField,
  type RunRow,
  type RunsPage,
  type RunsPageInput,
  runsPage,
  type SortDirection,
} from "./runs-page.ts";
export * from "./schema.ts";
export {
  InvalidSeriesRequestError,
  MAX_SERIES_POINTS,
  reduceEpochSeries,
  type SeriesMetric,
  type SeriesPoint,
} from "./series.ts";
export { type Visibility, visibleRows, visibleToProject } from "./visibility.ts";
