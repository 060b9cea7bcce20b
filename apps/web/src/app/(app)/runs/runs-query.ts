import type { RunFilter, RunOrder, RunOrderField, RunStatus, SortDirection } from "@/lib/graphql.generated.ts";

export const RUN_STATUSES: RunStatus[] = ["QUEUED", "ASSIGNED", "RUNNING", "SUCCEEDED", "FAILED", "CANCELLED"];
export const ORDER_FIELDS: { value: RunOrderField; label: string }[] = [
  { value: "QUEUED_AT", label: "Queued at" },
  { value: "FINISHED_AT", label: "Finished at" },
  { value: "BEST_VAL_ACCURACY", label: "Best val accuracy" },
  { value: "BEST_VAL_LOSS", label: "Best val loss" },
];
export const PAGE_SIZE = 25;

export interface RunsView {
  filter: RunFilter;
  orderBy: RunOrder;
  after: string | null;
}

/** The runs view lives in the URL so a filtered, sorted page can be shared. */
export function viewFromParams(params: URLSearchParams): RunsView {
  const filter: RunFilter = {};
  const status = params.get("status");
  if (status && (RUN_STATUSES as string[]).includes(status)) filter.status = [status as RunStatus];
  for (const key of ["baseModelId", "datasetId", "experimentId", "trainerId"] as const) {
    const value = params.get(key);
    if (value) filter[key] = value;
  }
  const sort = params.get("sort");
  const field = ORDER_FIELDS.some((f) => f.value === sort) ? (sort as RunOrderField) : "QUEUED_AT";
  const direction: SortDirection = params.get("dir") === "ASC" ? "ASC" : "DESC";
  return { filter, orderBy: { field, direction }, after: params.get("after") };
}
