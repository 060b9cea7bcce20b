import { FilterOptionsDocument, RunsDocument } from "@graft/client";
import type { Metadata } from "next";
import { Suspense } from "react";
import { Loading } from "@/components/states.tsx";
import { readForPage } from "@/lib/server/gateway.ts";
import { runsVariables, viewFromParams } from "./runs-query.ts";
import { RunsTable } from "./runs-table.tsx";

export const metadata: Metadata = { title: "Runs" };

/**
 * The first page of runs and the filters' choices are read here while the server renders, so
 * the table comes with the HTML; the browser asks again only for a view the server did not
 * read (or could not). Two requests side by side, not one: the runs are then the browser's
 * own `Runs` query, which the gateway's response cache answers (the choices include trainer
 * status, which it never caches).
 */
export default async function RunsPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(await searchParams)) {
    for (const one of typeof value === "string" ? [value] : (value ?? [])) params.append(key, one);
  }
  const variables = runsVariables(viewFromParams(params));
  const [runs, options] = await Promise.all([
    readForPage(RunsDocument, variables),
    readForPage(FilterOptionsDocument, {}),
  ]);
  return (
    <Suspense fallback={<Loading />}>
      <RunsTable
        initialRuns={runs && { variables, data: runs }}
        initialOptions={options && { variables: {}, data: options }}
      />
    </Suspense>
  );
}
