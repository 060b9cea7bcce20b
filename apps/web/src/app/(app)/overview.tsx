"use client";
import { OverviewDocument, TrainerStatus } from "@graft/client";
import Link from "next/link";
import { useEffect } from "react";
import { Empty, ErrorBox, Loading, PageHeader } from "@/components/states.tsx";
import { LineageMark, StatusBadge } from "@/components/status-badge.tsx";
import { useQuery } from "@/lib/client/use-query.ts";
import { formatDate, formatPercent } from "@/lib/format.ts";
import { byLiveness } from "@/lib/trainer-order.ts";

// Active runs progress between epochs; a light poll keeps the overview current without one stream per run.
const REFRESH_MS = 3000;

export function Overview() {
  const { data, error, loading, refetch } = useQuery(OverviewDocument, {});
  useEffect(() => {
    const timer = setInterval(() => void refetch(), REFRESH_MS);
    return () => clearInterval(timer);
  }, [refetch]);

  if (!data) {
    return (
      <>
        <PageHeader title="Overview" />
        {error ? <ErrorBox error={error} retry={refetch} /> : loading ? <Loading /> : null}
      </>
    );
  }
  const online = data.trainers.filter((t) => t.status !== TrainerStatus.Offline);
  return (
    <>
      <PageHeader title="Overview">
        <Link className="button" href="/new">
          New fine-tune
        </Link>
      </PageHeader>
      {error ? <ErrorBox error={error} retry={refetch} /> : null}
      <div className="grid-4">
        <Stat label="Active runs" value={data.active.totalCount} />
        <Stat label="Trainers online" value={`${online.length} / ${data.trainers.length}`} />
        <Stat label="Models" value={data.recentModels.totalCount} />
        <Stat label="Failed runs" value={data.failed.totalCount} />
      </div>
      <section className="panel" aria-labelledby="active-runs">
        <h2 id="active-runs">Active runs</h2>
        {data.active.edges.length === 0 ? (
          <Empty>
            No run is queued or training. <Link href="/new">Start a fine-tune</Link>.
          </Empty>
        ) : (
          <table className="table">
            <thead>
              <tr>
                <th>Run</th>
                <th>Status</th>
                <th>Base → dataset</th>
                <th>Trainer</th>
                <th>Progress</th>
              </tr>
            </thead>
            <tbody>
              {data.active.edges.map(({ node }) => {
                const done = node.epochs.length;
                const total = node.hyperparameters.epochs;
                return (
                  <tr key={node.id}>
                    <td>
                      <Link href={`/runs/${node.id}`}>{node.name ?? node.id}</Link>
                    </td>
                    <td>
                      <StatusBadge status={node.status} />
                    </td>
                    <td>
                      {node.baseModel.name} → {node.dataset.name}
                    </td>
                    <td>{node.trainer?.name ?? "—"}</td>
                    <td>
                      <div className="progress" title={`${done} of ${total} epochs`}>
                        <span style={{ width: `${Math.min(100, (done / Math.max(1, total)) * 100)}%` }} />
                      </div>
                      <span className="muted">
                        {done}/{total} epochs
                      </span>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
      </section>
      <div className="grid-2">
        <section className="panel" aria-labelledby="trainers-online">
          <h2 id="trainers-online">Trainers</h2>
          {data.trainers.length === 0 ? (
            <Empty>
              No trainer has joined. Start one with <code>npm run trainer</code>.
            </Empty>
          ) : (
            <ul className="plain-list">
              {[...data.trainers]
                .sort(byLiveness)
                .slice(0, 8)
                .map((t) => (
                  <li key={t.id}>
                    <StatusBadge status={t.status} /> <Link href="/trainers">{t.name}</Link>{" "}
                    <span className="muted">{t.backend}</span>
                  </li>
                ))}
            </ul>
          )}
        </section>
        <section className="panel" aria-labelledby="recent-models">
          <h2 id="recent-models">Recent models</h2>
          {data.recentModels.edges.length === 0 ? (
            <Empty>No models yet.</Empty>
          ) : (
            <ul className="plain-list">
              {data.recentModels.edges.map(({ node }) => (
                <li key={node.id}>
                  <Link href={`/models/${node.id}`}>{node.name}</Link>{" "}
                  <span className="muted">
                    {node.kind === "BASE" ? "base" : `val acc ${formatPercent(node.bestMetric)}`}
                  </span>{" "}
                  <LineageMark verified={node.verifiedLineage} />
                </li>
              ))}
            </ul>
          )}
        </section>
      </div>
      <section className="panel" aria-labelledby="failures">
        <h2 id="failures">Recent failures</h2>
        {data.failed.edges.length === 0 ? (
          <Empty>No failed runs.</Empty>
        ) : (
          <table className="table">
            <tbody>
              {data.failed.edges.map(({ node }) => (
                <tr key={node.id}>
                  <td>
                    <Link href={`/runs/${node.id}`}>{node.name ?? node.id}</Link>
                  </td>
                  <td className="error-text">{node.error ? `${node.error.code}: ${node.error.message}` : "failed"}</td>
                  <td className="muted">{formatDate(node.finishedAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </>
  );
}

function Stat({ label, value }: { label: string; value: string | number }) {
  return (
    <div className="stat">
      <div className="stat-label">{label}</div>
      <div className="stat-value">{value}</div>
    </div>
  );
}
