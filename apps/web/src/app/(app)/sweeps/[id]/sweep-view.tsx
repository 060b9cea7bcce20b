"use client";
import { SweepDocument, type SweepUpdatedSubscription } from "@graft/client";
import Link from "next/link";
import { useState } from "react";
import { ErrorBox, LiveDot, Loading, PageHeader } from "@/components/states.tsx";
import { StatusBadge } from "@/components/status-badge.tsx";
import { useLiveQuery } from "@/lib/client/use-live-query.ts";
import { formatMetric, formatParams, formatValue } from "@/lib/format.ts";
import { ParamScatter } from "./param-scatter.tsx";

/** A sweep: its trials (parameters, run, rung, metric), a parameter-vs-metric scatter, and its best trial. */
export function SweepView({ id }: { id: string }) {
  const {
    current: sweep,
    error,
    loading,
    refetch,
    stream,
  } = useLiveQuery(
    SweepDocument,
    { id },
    {
      select: (data) => data.sweep,
      // sweepUpdated sends the sweep whole after every change; it ends with the sweep.
      events: `/api/events?sweepId=${encodeURIComponent(id)}`,
      fromEvent: (event: SweepUpdatedSubscription) => event.sweepUpdated,
      live: (s) => s.status === "RUNNING",
    },
  );
  const params = sweep ? Object.keys((sweep.trials[0]?.params ?? {}) as Record<string, unknown>) : [];
  const [chosen, setChosen] = useState<string | null>(null);
  const param = chosen && params.includes(chosen) ? chosen : (params[0] ?? null);

  if (error && !sweep) return <ErrorBox error={error} retry={refetch} />;
  if (!sweep) return loading ? <Loading label="Loading sweep…" /> : <ErrorBox error={`no sweep ${id}`} />;
  const best = sweep.bestTrial;
  return (
    <>
      <PageHeader title={sweep.name}>
        <StatusBadge status={sweep.status} />
        {stream ? <LiveDot state={stream} /> : null}
      </PageHeader>
      <p className="muted" data-testid="sweep-summary">
        {sweep.baseModel.name} on {sweep.dataset.name} · {sweep.method.toLowerCase()} · {sweep.trialCount} trials, at
        most {sweep.maxConcurrentTrials} at once · {sweep.metric} ({sweep.goal.toLowerCase()}) · {sweep.maxEpochs}{" "}
        epochs ·{" "}
        {sweep.reductionFactor
          ? `ASHA η=${sweep.reductionFactor}, rungs at epochs ${sweep.rungs.join(", ") || "—"}`
          : "no early stopping"}
      </p>
      {best ? (
        <p data-testid="sweep-best">
          Best: trial {best.index + 1} ({formatParams(best.params)}), {sweep.metric} {formatMetric(best.metric)}
          {sweep.bestModel ? (
            <>
              {" "}
              · model <Link href={`/models/${sweep.bestModel.id}`}>{sweep.bestModel.name}</Link>
              {sweep.bestModel.parent ? ` (child of ${sweep.bestModel.parent.name})` : null}
            </>
          ) : null}
        </p>
      ) : null}
      {param ? (
        <section className="panel" aria-labelledby="sweep-scatter">
          <h2 id="sweep-scatter">
            <label htmlFor="scatter-param">Parameter against {sweep.metric}: </label>
            <select id="scatter-param" value={param} onChange={(e) => setChosen(e.target.value)}>
              {params.map((p) => (
                <option key={p} value={p}>
                  {p}
                </option>
              ))}
            </select>
          </h2>
          <ParamScatter
            param={param}
            metric={sweep.metric}
            trials={sweep.trials.map((t) => ({
              index: t.index,
              params: t.params as Record<string, unknown>,
              metric: t.metric ?? null,
              stoppedEarly: t.stoppedEarly,
              best: best?.index === t.index,
            }))}
          />
        </section>
      ) : null}
      <div className="table-wrap" style={{ marginTop: 16 }}>
        <table className="table" data-testid="sweep-trials">
          <thead>
            <tr>
              <th className="num">Trial</th>
              {params.map((p) => (
                <th key={p}>{p}</th>
              ))}
              <th>Run</th>
              <th className="num">Rung</th>
              <th className="num">{sweep.metric}</th>
              <th>Note</th>
            </tr>
          </thead>
          <tbody>
            {sweep.trials.map((t) => (
              <tr key={t.index} data-trial={t.index} data-stopped={t.stoppedEarly}>
                <td className="num">{t.index + 1}</td>
                {params.map((p) => (
                  <td key={p}>{formatValue((t.params as Record<string, unknown>)[p])}</td>
                ))}
                <td>
                  {t.run ? (
                    <>
                      <Link href={`/runs/${t.run.id}`}>{t.run.name ?? t.run.id}</Link>{" "}
                      <StatusBadge status={t.run.status} />
                    </>
                  ) : (
                    <span className="muted">waiting</span>
                  )}
                </td>
                <td className="num">{t.rungReached}</td>
                <td className="num">{formatMetric(t.metric)}</td>
                <td>
                  {t.stoppedEarly ? `early stopped at epoch ${t.stoppedAtRung}` : best?.index === t.index ? "best" : ""}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}
