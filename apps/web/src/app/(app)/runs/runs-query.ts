import { type RunFilter, type RunOrder, RunOrderField, RunStatus, SortDirection } from "@graft/client";

export const RUN_STATUSES: readonly RunStatus[] = Object.values(RunStatus);
export const ORDER_FIELDS: { value: RunOrderField; label: string }[] = [
  { value: RunOrderField.QueuedAt, label: "Queued at" },
  { value: RunOrderField.FinishedAt, label: "Finished at" },
  { value: RunOrderField.BestValAccuracy, label: "Best val accuracy" },
  { value: RunOrderField.BestValLoss, label: "Best val loss" },
];
export const PAGE_SIZE = 25;

export interface RunsView {
  filter: RunFilter;
  orderBy: RunOrder;
  after: string | null;
}

/** The Runs query's variables for a view: the same on the server's first read and in the browser. */
export function runsVariables(view: RunsView) {
  return { filter: view.filter, orderBy: view.orderBy, first: PAGE_SIZE, after: view.after };
}

/** The runs view lives in the URL so a filtered, sorted page can be shared. */
export function viewFromParams(params: URLSearchParams): RunsView {
  const filter: RunFilter = {};
  const status = params.get("status");
  if (status && (RUN_STATUSES as readonly string[]).includes(status)) filter.status = [status as RunStatus];
  for (const key of ["baseModelId", "datasetId", "experimentId", "trainerId"] as const) {
    const value = params.get(key);
    if (value) filter[key] = value;
  }
  const sort = params.get("sort");
  const field = ORDER_FIELDS.some((f) => f.value === sort) ? (sort as RunOrderField) : RunOrderField.QueuedAt;
  const direction = params.get("dir") === SortDirection.Asc ? SortDirection.Asc : SortDirection.Desc;
  return { filter, orderBy: { field, direction }, after: params.get("after") };
}
