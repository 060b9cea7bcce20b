"use client";
import { FilterOptionsDocument, type FilterOptionsQuery, RunsDocument, type RunsQuery } from "@graft/client";
import Link from "next/link";
import { usePathname, useRouter, useSearchParams } from "next/navigation";
import { useState } from "react";
import { Empty, ErrorBox, Loading, PageHeader } from "@/components/states.tsx";
import { StatusBadge } from "@/components/status-badge.tsx";
import { type InitialAnswer, useQuery } from "@/lib/client/use-query.ts";
import { formatDate, formatMetric, formatPercent } from "@/lib/format.ts";
import { ORDER_FIELDS, RUN_STATUSES, runsVariables, viewFromParams } from "./runs-query.ts";

/** `initialRuns` / `initialOptions`: what the server read while rendering (page.tsx). */
export function RunsTable({
  initialRuns,
  initialOptions,
}: {
  initialRuns: InitialAnswer<RunsQuery, ReturnType<typeof runsVariables>> | null;
  initialOptions: InitialAnswer<FilterOptionsQuery, Record<string, never>> | null;
}) {
  const params = useSearchParams();
  const router = useRouter();
  const pathname = usePathname();
  const view = viewFromParams(new URLSearchParams(params.toString()));
  const runs = useQuery(RunsDocument, runsVariables(view), { initial: initialRuns });
  const options = useQuery(FilterOptionsDocument, {}, { initial: initialOptions });
  const [selected, setSelected] = useState<string[]>([]);
  // Cursors of the pages before this one, so "Previous" works without offset paging.
  const [history, setHistory] = useState<(string | null)[]>([]);

  function update(changes: Record<string, string | null>, keepCursor = false) {
    const next = new URLSearchParams(params.toString());
    for (const [key, value] of Object.entries(changes)) {
      if (value) next.set(key, value);
      else next.delete(key);
    }
    if (!keepCursor) {
      next.delete("after");
      setHistory([]);
    }
    const query = next.toString();
    router.replace(query ? `${pathname}?${query}` : pathname, { scroll: false });
  }

  function toggle(id: string) {
    setSelected((s) => (s.includes(id) ? s.filter((x) => x !== id) : [...s, id]));
  }

  const data = runs.data?.runs;
  const opts = options.data;
  return (
    <>
      <PageHeader title="Runs">
        <Link
          className={`button${selected.length < 2 ? " button-secondary" : ""}`}
          href={`/compare?ids=${selected.join(",")}`}
          aria-disabled={selected.length < 2}
          onClick={(e) => {
            if (selected.length < 2) e.preventDefault();
          }}
        >
          Compare selected ({selected.length})
        </Link>
        <Link className="button button-secondary" href="/sweeps">
          Sweeps
        </Link>
        <Link className="button" href="/new">
          New fine-tune
        </Link>
      </PageHeader>
      <form className="filters" aria-label="Filter runs" onSubmit={(e) => e.preventDefault()}>
        <Select
          id="f-status"
          label="Status"
          value={params.get("status") ?? ""}
          onChange={(v) => update({ status: v })}
          options={RUN_STATUSES.map((s) => ({ value: s, label: s }))}
        />
        <Select
          id="f-base"
          label="Base model"
          value={params.get("baseModelId") ?? ""}
          onChange={(v) => update({ baseModelId: v })}
          options={(opts?.models.edges ?? []).map(({ node }) => ({ value: node.id, label: node.name }))}
        />
        <Select
          id="f-dataset"
          label="Dataset"
          value={params.get("datasetId") ?? ""}
          onChange={(v) => update({ datasetId: v })}
          options={(opts?.datasets ?? []).map((d) => ({ value: d.id, label: d.name }))}
        />
        <Select
          id="f-experiment"
          label="Experiment"
          value={params.get("experimentId") ?? ""}
          onChange={(v) => update({ experimentId: v })}
          options={(opts?.experiments ?? []).map((x) => ({ value: x.id, label: x.name }))}
        />
        <Select
          id="f-trainer"
          label="Trainer"
          value={params.get("trainerId") ?? ""}
          onChange={(v) => update({ trainerId: v })}
          options={(opts?.trainers ?? []).map((t) => ({ value: t.id, label: t.name }))}
        />
        <Select
          id="f-sort"
          label="Sort by"
          value={view.orderBy.field}
          onChange={(v) => update({ sort: v })}
          options={ORDER_FIELDS}
          allowEmpty={false}
        />
        <Select
          id="f-dir"
          label="Direction"
          value={view.orderBy.direction}
          onChange={(v) => update({ dir: v })}
          options={[
            { value: "DESC", label: "Descending" },
            { value: "ASC", label: "Ascending" },
          ]}
          allowEmpty={false}
        />
      </form>
      {runs.error ? <ErrorBox error={runs.error} retry={runs.refetch} /> : null}
      {!data ? (
        runs.loading ? (
          <Loading label="Loading runs…" />
        ) : null
      ) : data.edges.length === 0 ? (
        <Empty>
          No runs match. <Link href="/new">Start a fine-tune</Link> or clear the filters.
        </Empty>
      ) : (
        <>
          <div className="table-wrap">
            <table className="table" aria-busy={runs.loading}>
              <thead>
                <tr>
                  <th>
                    <span className="visually-hidden">Select</span>
                  </th>
                  <th>Run</th>
                  <th>Status</th>
                  <th>Base model</th>
                  <th>Dataset</th>
                  <th>Trainer</th>
                  <th className="num">Epochs</th>
                  <th className="num">Best val acc</th>
                  <th className="num">Best val loss</th>
                  <th>Queued</th>
                </tr>
              </thead>
              <tbody>
                {data.edges.map(({ node }) => (
                  <tr key={node.id} data-run-id={node.id}>
                    <td>
                      <input
                        type="checkbox"
                        aria-label={`Select ${node.name ?? node.id} to compare`}
                        checked={selected.includes(node.id)}
                        onChange={() => toggle(node.id)}
                      />
                    </td>
                    <td>
                      <Link href={`/runs/${node.id}`}>{node.name ?? node.id}</Link>
                    </td>
                    <td>
                      <StatusBadge status={node.status} />
                    </td>
                    <td>{node.baseModel.name}</td>
                    <td>{node.dataset.name}</td>
                    <td>{node.trainer?.name ?? "—"}</td>
                    <td className="num">{node.hyperparameters.epochs}</td>
                    <td className="num">{formatPercent(node.bestEpoch?.valAccuracy)}</td>
                    <td className="num">{formatMetric(node.bestEpoch?.valLoss)}</td>
                    <td>{formatDate(node.queuedAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <div className="pager">
            <span className="muted">{data.totalCount.toLocaleString("en-US")} runs</span>
            <button
              type="button"
              className="button button-secondary"
              disabled={history.length === 0}
              onClick={() => {
                const prev = history[history.length - 1] ?? null;
                setHistory((h) => h.slice(0, -1));
                update({ after: prev }, true);
              }}
            >
              Previous
            </button>
            <button
              type="button"
              className="button button-secondary"
              disabled={!data.pageInfo.hasNextPage}
              onClick={() => {
                setHistory((h) => [...h, view.after]);
                update({ after: data.pageInfo.endCursor }, true);
              }}
            >
              Next
            </button>
          </div>
        </>
      )}
    </>
  );
}

function Select(props: {
  id: string;
  label: string;
  value: string;
  onChange: (value: string) => void;
  options: { value: string; label: string }[];
  allowEmpty?: boolean;
}) {
  return (
    <div className="field">
      <label htmlFor={props.id}>{props.label}</label>
      <select id={props.id} value={props.value} onChange={(e) => props.onChange(e.target.value)}>
        {props.allowEmpty === false ? null : <option value="">All</option>}
        {props.options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    </div>
  );
}
