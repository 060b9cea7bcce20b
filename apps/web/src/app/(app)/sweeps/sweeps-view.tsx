"use client";
import { SweepsDocument } from "@graft/client";
import Link from "next/link";
import { Empty, ErrorBox, Loading, PageHeader } from "@/components/states.tsx";
import { StatusBadge } from "@/components/status-badge.tsx";
import { useQuery } from "@/lib/client/use-query.ts";
import { formatDate, formatMetric } from "@/lib/format.ts";

/** The project's hyperparameter sweeps, newest first. */
export function SweepsView() {
  const { data, error, loading, refetch } = useQuery(SweepsDocument, {});
  return (
    <>
      <PageHeader title="Sweeps" />
      {error ? <ErrorBox error={error} retry={refetch} /> : null}
      {!data ? (
        loading ? (
          <Loading label="Loading sweeps…" />
        ) : null
      ) : data.sweeps.length === 0 ? (
        <Empty>
          No sweep yet. Start one with <code>graft sweep start --name … --base … --dataset … --lr 0.01,0.001</code>.
        </Empty>
      ) : (
        <div className="table-wrap">
          <table className="table" data-testid="sweeps">
            <thead>
              <tr>
                <th>Name</th>
                <th>Status</th>
                <th>Method</th>
                <th>Base</th>
                <th>Dataset</th>
                <th className="num">Trials</th>
                <th className="num">Best</th>
                <th>Started</th>
              </tr>
            </thead>
            <tbody>
              {data.sweeps.map((s) => (
                <tr key={s.id} data-sweep-id={s.id}>
                  <td>
                    <Link href={`/sweeps/${s.id}`}>{s.name}</Link>
                  </td>
                  <td>
                    <StatusBadge status={s.status} />
                  </td>
                  <td>{s.method.toLowerCase()}</td>
                  <td>{s.baseModel.name}</td>
                  <td>{s.dataset.name}</td>
                  <td className="num">{s.trialCount}</td>
                  <td className="num">
                    {s.bestTrial ? `${formatMetric(s.bestTrial.metric)} (trial ${s.bestTrial.index + 1})` : "—"}
                  </td>
                  <td>{formatDate(String(s.createdAt))}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
