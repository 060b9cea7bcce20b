"use client";
import { CompareRunsDocument, type CompareRunsQuery } from "@graft/client";
import Link from "next/link";
import { useSearchParams } from "next/navigation";
import { useEffect, useMemo, useState } from "react";
import { type ChartRow, MetricChart } from "@/components/metric-charts.tsx";
import { seriesColor } from "@/components/series-color.ts";
import { Empty, ErrorBox, Loading, PageHeader } from "@/components/states.tsx";
import { StatusBadge } from "@/components/status-badge.tsx";
import { gql } from "@/lib/client/graphql.ts";
import { formatMetric, formatPercent } from "@/lib/format.ts";
import { hyperparameterEntries } from "../runs/[id]/hyperparameter-list.tsx";

type CompareRun = CompareRunsQuery["runs"]["edges"][number]["node"];
const MAX_RUNS = 8;
/**
 * Points per chart, shared by its lines: each run's curves come from `series()` reduced to
 * their share, at most about the chart's width in pixels (drawing costs per point).
 */
const CHART_POINTS = 2000;
const MAX_POINTS_PER_LINE = 600;
const METRICS = [
  { key: "valAccuracy", series: "valAccuracySeries", title: "Validation accuracy", domain: [0, 1] as [number, number] },
  { key: "valLoss", series: "valLossSeries", title: "Validation loss" },
  { key: "accuracy", series: "accuracySeries", title: "Training accuracy", domain: [0, 1] as [number, number] },
  { key: "loss", series: "lossSeries", title: "Training loss" },
] as const;

export function CompareView() {
  const params = useSearchParams();
  const ids = useMemo(
    () => [...new Set((params.get("ids") ?? "").split(",").filter(Boolean))].slice(0, MAX_RUNS),
    [params],
  );
  const [runs, setRuns] = useState<CompareRun[] | null>(null);
  const [error, setError] = useState<Error | null>(null);

  useEffect(() => {
    if (ids.length < 2) return;
    let current = true;
    setRuns(null);
    setError(null);
    const maxPoints = Math.min(MAX_POINTS_PER_LINE, Math.floor(CHART_POINTS / Math.max(1, ids.length)));
    // All the runs in one request, not one each; shown in the URL's order.
    gql(CompareRunsDocument, { ids, first: ids.length, maxPoints })
      .then(({ runs }) => {
        const byId = new Map(runs.edges.map(({ node }) => [node.id, node]));
        if (current) setRuns(ids.flatMap((id) => byId.get(id) ?? []));
      })
      .catch((e: unknown) => {
        if (current) setError(e instanceof Error ? e : new Error(String(e)));
      });
    return () => {
      current = false;
    };
  }, [ids]);

  if (ids.length < 2) {
    return (
      <>
        <PageHeader title="Compare runs" />
        <Empty>
          Select two or more runs on the <Link href="/runs">Runs</Link> page to compare them.
        </Empty>
      </>
    );
  }
  if (error) return <ErrorBox error={error} />;
  if (!runs) return <Loading label="Loading runs…" />;

  const label = (r: CompareRun) => r.name ?? r.id;
  const rowsFor = (metric: (typeof METRICS)[number]["series"]): ChartRow[] => {
    const byEpoch = new Map<number, ChartRow>();
    runs.forEach((r, i) => {
      for (const p of r[metric]) {
        const row = byEpoch.get(p.epoch) ?? { epoch: p.epoch };
        row[`r${i}`] = p.last;
        byEpoch.set(p.epoch, row);
      }
    });
    return [...byEpoch.values()].sort((a, b) => a.epoch - b.epoch);
  };
  const series = runs.map((r, i) => ({ key: `r${i}`, label: label(r), color: seriesColor(i) }));

  const table: [string, string[]][] = [
    ["Base model", runs.map((r) => r.baseModel.name)],
    ["Dataset", runs.map((r) => r.dataset.name)],
  ];
  const entries = runs.map((r) => hyperparameterEntries(r.hyperparameters));
  for (const [index, [name]] of (entries[0] ?? []).entries()) {
    table.push([name, entries.map((e) => e[index]?.[1] ?? "")]);
  }
  const differing = table.filter(([, values]) => new Set(values).size > 1);

  return (
    <>
      <PageHeader title={`Compare ${runs.length} runs`} />
      <section className="grid-2" aria-label="Overlaid curves">
        {METRICS.map((m) => (
          <MetricChart
            key={m.key}
            id={`compare-${m.key}`}
            title={m.title}
            rows={rowsFor(m.series)}
            series={series}
            yDomain={"domain" in m ? m.domain : undefined}
          />
        ))}
      </section>
      <section className="panel" style={{ marginTop: 16 }} aria-labelledby="best-epochs">
        <h2 id="best-epochs">Best epoch</h2>
        <table className="table" data-testid="best-epochs">
          <thead>
            <tr>
              <th>Run</th>
              <th>Status</th>
              <th className="num">Best epoch</th>
              <th className="num">Val accuracy</th>
              <th className="num">Val loss</th>
              <th className="num">Accuracy</th>
              <th className="num">Loss</th>
            </tr>
          </thead>
          <tbody>
            {runs.map((r, i) => (
              <tr key={r.id}>
                <td>
                  <span className="swatch" style={{ background: seriesColor(i) }} aria-hidden="true" />
                  <Link href={`/runs/${r.id}`}>{label(r)}</Link>
                </td>
                <td>
                  <StatusBadge status={r.status} />
                </td>
                <td className="num">{r.bestEpoch?.epoch ?? "—"}</td>
                <td className="num">{formatPercent(r.bestEpoch?.valAccuracy)}</td>
                <td className="num">{formatMetric(r.bestEpoch?.valLoss)}</td>
                <td className="num">{formatPercent(r.bestEpoch?.accuracy)}</td>
                <td className="num">{formatMetric(r.bestEpoch?.loss)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section className="panel" aria-labelledby="hp-diff">
        <h2 id="hp-diff">Differing hyperparameters</h2>
        {differing.length === 0 ? (
          <Empty>These runs share every hyperparameter.</Empty>
        ) : (
          <table className="table" data-testid="hp-diff">
            <thead>
              <tr>
                <th>Parameter</th>
                {runs.map((r) => (
                  <th key={r.id}>{label(r)}</th>
                ))}
              </tr>
            </thead>
            <tbody>
              {differing.map(([name, values]) => (
                <tr key={name}>
                  <th scope="row">{name}</th>
                  {values.map((v, i) => (
                    <td key={runs[i]?.id ?? i} className="diff-cell">
                      {v}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </>
  );
}
