"use client";
import { StudyDocument, type StudyUpdatedSubscription } from "@graft/client";
import Link from "next/link";
import { useMemo } from "react";
import { type ChartRow, MetricChart } from "@/components/metric-charts.tsx";
import { seriesColor } from "@/components/series-color.ts";
import { ErrorBox, LiveDot, Loading, PageHeader } from "@/components/states.tsx";
import { StatusBadge } from "@/components/status-badge.tsx";
import { useLiveQuery } from "@/lib/client/use-live-query.ts";
import { formatMetric, formatPercent } from "@/lib/format.ts";

const pct = (f: number) => `${Number((f * 100).toPrecision(3))}%`;
const armName = (arm: string) => arm.toLowerCase().replaceAll("_", " ");

/** A study's table (per base, arm and fraction, over seeds) and its learning curve, live while it runs. */
export function StudyView({ id }: { id: string }) {
  const {
    current: study,
    error,
    loading,
    refetch,
    stream,
  } = useLiveQuery(
    StudyDocument,
    { id },
    {
      select: (data) => data.study,
      // studyUpdated sends the study whole after each status change or stored epoch of one of
      // its runs (cells and curve recomputed); it ends with the study.
      events: `/api/events?studyId=${encodeURIComponent(id)}`,
      fromEvent: (event: StudyUpdatedSubscription) => event.studyUpdated,
      live: (s) => s.status === "RUNNING",
    },
  );

  // One line per (base, arm): mean validation accuracy at each training-sample count.
  const { rows, series } = useMemo(() => {
    const lines = study?.curve ?? [];
    const multiBase = new Set(lines.map((l) => l.baseModel.id)).size > 1;
    const bySamples = new Map<number, ChartRow>();
    const series = lines.map((line, i) => {
      const key = `${line.baseModel.id}-${line.arm}`;
      for (const p of line.points) {
        const row = bySamples.get(p.samples) ?? { epoch: p.samples };
        row[key] = p.meanAccuracy ?? null;
        bySamples.set(p.samples, row);
      }
      const label = multiBase ? `${line.baseModel.name} ${armName(line.arm)}` : armName(line.arm);
      return { key, label, color: seriesColor(i) };
    });
    return { rows: [...bySamples.values()].sort((a, b) => a.epoch - b.epoch), series };
  }, [study]);

  if (error && !study) return <ErrorBox error={error} retry={refetch} />;
  if (!study) return loading ? <Loading label="Loading study…" /> : <ErrorBox error={`no study ${id}`} />;
  const succeeded = study.runs.filter((r) => r.status === "SUCCEEDED").length;
  return (
    <>
      <PageHeader title={study.name}>
        <StatusBadge status={study.status} />
        {stream ? <LiveDot state={stream} /> : null}
      </PageHeader>
      <p className="muted" data-testid="study-summary">
        {study.baseModels.map((m) => m.name).join(", ")} on {study.dataset.name} · fractions{" "}
        {study.fractions.map(pct).join(", ")} · seeds {study.seeds.join(", ")} · {study.epochs} epochs · {succeeded}/
        {study.runs.length} runs succeeded · target {formatPercent(study.targetAccuracy)}
      </p>
      <div className="table-wrap">
        <table className="table" data-testid="study-cells">
          <thead>
            <tr>
              <th>Base</th>
              <th>Arm</th>
              <th className="num">Fraction</th>
              <th className="num">Samples</th>
              <th className="num">Seeds</th>
              <th className="num">Mean val acc</th>
              <th className="num">Std</th>
              <th className="num">Min–max</th>
              <th className="num">Mean s</th>
              <th className="num">Epochs to target</th>
              <th className="num">s to target</th>
            </tr>
          </thead>
          <tbody>
            {study.cells.map((c) => (
              <tr key={`${c.baseModel.id}-${c.arm}-${c.fraction}`} data-arm={c.arm} data-fraction={c.fraction}>
                <td>{c.baseModel.name}</td>
                <td>{armName(c.arm)}</td>
                <td className="num">{pct(c.fraction)}</td>
                <td className="num">{c.samples}</td>
                <td className="num">
                  {c.seeds}/{c.runs}
                </td>
                <td className="num" data-testid="cell-mean">
                  {formatPercent(c.meanAccuracy)}
                </td>
                <td className="num">{formatPercent(c.stdAccuracy)}</td>
                <td className="num">
                  {formatPercent(c.minAccuracy)}–{formatPercent(c.maxAccuracy)}
                </td>
                <td className="num">{formatMetric(c.meanSeconds, 1)}</td>
                <td className="num">
                  {c.reachedTarget > 0 ? `${formatMetric(c.epochsToTarget, 1)} (${c.reachedTarget}/${c.seeds})` : "—"}
                </td>
                <td className="num">{formatMetric(c.secondsToTarget, 1)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <section className="panel" style={{ marginTop: 16 }} aria-labelledby="learning-curve">
        <h2 id="learning-curve">Learning curve</h2>
        <MetricChart
          id="learning-curve"
          title="Val accuracy against training samples (mean over seeds)"
          rows={rows}
          series={series}
          yDomain={[0, 1]}
          xLabel="training samples"
          xLog
        />
      </section>
      <section className="panel" style={{ marginTop: 16 }} aria-labelledby="study-runs">
        <h2 id="study-runs">Runs</h2>
        <ul>
          {study.runs.map((r) => (
            <li key={r.id}>
              <Link href={`/runs/${r.id}`}>{r.name ?? r.id}</Link> <StatusBadge status={r.status} />
            </li>
          ))}
        </ul>
      </section>
    </>
  );
}
