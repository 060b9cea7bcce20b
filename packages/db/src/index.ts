// Public API of @graft/db: the lineage store's schema, client factory and queries.
export { createDatabase, type Database, type DatabaseOptions, type Db } from "./client.ts";
export { dataVersion, followDataVersion } from "./data-version.ts";
export {
  DatabaseMigrationError,
  DatabaseUnavailableError,
  InvalidCursorError,
  InvalidPageRequestError,
  isDatabaseUnreachable,
} from "./errors.ts";
export {
  ancestors,
  children,
  type DescendantsOptions,
  descendantNodes,
  descendantSummaries,
  descendants,
  type LineageEntry,
  type LineageNode,
  lineageFieldsForChild,
  MODEL_SUMMARY_KEYS,
  type ModelRow,
  type ModelSummary,
  siblings,
} from "./lineage.ts";
export { migrationsFolder } from "./migrate.ts";
export { countModels, type ModelFilter, type ModelsPageInput, modelsPage } from "./models-page.ts";
export {
  type CursorPosition,
  DEFAULT_PAGE_SIZE,
  decodeCursor,
  encodeCursor,
  MAX_PAGE_SIZE,
  type Page,
  type SortDirection,
} from "./pagination.ts";
export { oneMessageTransaction, type PipelinedBody, pipelinedTransaction } from "./pipelined-transaction.ts";
export { rowsOf } from "./rows.ts";
export {
  countRuns,
  type RunFilter,
  type RunOrder,
  type RunOrderField,
  type RunRow,
  type RunsPageInput,
  runsPage,
} from "./runs-page.ts";
export * from "./schema.ts";
export { ownedRows, type ProjectScope, projectScope, visibleRows } from "./scope.ts";
export {
  InvalidSeriesRequestError,
  MAX_SERIES_POINTS,
  reduceEpochSeries,
  reduceEpochSeriesOf,
  type SeriesPoint,
} from "./series.ts";
