"use client";
import type { RunQuery } from "@graft/client";
import Link from "next/link";
import { useMemo } from "react";
import { type ChartRow, MetricChart } from "@/components/metric-charts.tsx";
import { StatusBadge } from "@/components/status-badge.tsx";
import { formatPercent } from "@/lib/format.ts";

type RunDetail = NonNullable<RunQuery["run"]>;

const KIND_LABEL: Record<string, string> = { SCRATCH: "Scratch", LINEAR_PROBE: "Linear probe" };
const KIND_KEY: Record<string, string> = { SCRATCH: "scratch", LINEAR_PROBE: "linearProbe" };

const points = (v: number | null | undefined) =>
  v === null || v === undefined ? "—" : `${v >= 0 ? "+" : ""}${(100 * v).toFixed(1)} pts`;
const times = (v: number | null | undefined) => (v === null || v === undefined ? "—" : `${v.toFixed(2)}×`);
const reached = (arm: { epochs: number | null; seconds: number | null }) =>
  arm.epochs === null ? "not reached" : `epoch ${arm.epochs} (${(arm.seconds ?? 0).toFixed(1)} s)`;

/**
 * The run against its control arms: the gain numbers the gateway computes from the stored
 * epochs, and every arm's validation accuracy in one chart.
 */
export function TransferGainPanel({ run, rows }: { run: RunDetail; rows: ChartRow[] }) {
  const chartRows = useMemo(() => {
    const byEpoch = new Map<number, ChartRow>();
    for (const r of rows) byEpoch.set(r.epoch, { epoch: r.epoch, run: r.valAccuracy ?? null });
    for (const control of run.controls) {
      const key = KIND_KEY[control.controlKind ?? ""] ?? control.id;
      for (const e of control.epochs ?? []) {
        const row = byEpoch.get(e.epoch) ?? { epoch: e.epoch };
        row[key] = e.valAccuracy;
        byEpoch.set(e.epoch, row);
      }
    }
    return [...byEpoch.values()].sort((a, b) => a.epoch - b.epoch);
  }, [rows, run.controls]);
  const gain = run.transferGain;
  return (
    <section className="panel" aria-labelledby="transfer-gain" data-testid="transfer-gain" style={{ marginTop: 16 }}>
      <h2 id="transfer-gain">
        Transfer gain {gain && !gain.complete ? <span className="muted">(controls running)</span> : null}
      </h2>
      <div className="grid-2">
        <div>
          <dl className="kv">
            {run.controls.map((c) => (
              <div key={c.id} style={{ display: "contents" }}>
                <dt>{KIND_LABEL[c.controlKind ?? ""] ?? "Control"}</dt>
                <dd>
                  <Link href={`/runs/${c.id}`}>{c.name ?? c.id}</Link> <StatusBadge status={c.status} />
                </dd>
              </div>
            ))}
            {gain ? (
              <>
                <dt>vs scratch at epoch {gain.finalEpoch ?? "—"}</dt>
                <dd data-testid="gain-final">{points(gain.finalDifference)}</dd>
                <dt>Target {gain.metric}</dt>
                <dd>{formatPercent(gain.targetAccuracy)}</dd>
                <dt>Reached by the run</dt>
                <dd>{reached(gain.run)}</dd>
                <dt>Reached by scratch</dt>
                <dd>{reached(gain.scratch)}</dd>
                <dt>Speed-up</dt>
                <dd>
                  {times(gain.epochSpeedup)} in epochs, {times(gain.timeSpeedup)} in seconds
                </dd>
                <dt>vs linear probe at epoch {gain.linearProbeEpoch ?? "—"}</dt>
                <dd>{points(gain.linearProbeGap)}</dd>
              </>
            ) : null}
          </dl>
        </div>
        <MetricChart
          id="controls"
          title="Val accuracy: run and controls"
          rows={chartRows}
          yDomain={[0, 1]}
          series={[
            { key: "run", label: "this run", color: "#2563eb" },
            ...run.controls.map((c, i) => ({
              key: KIND_KEY[c.controlKind ?? ""] ?? c.id,
              label: (KIND_LABEL[c.controlKind ?? ""] ?? "control").toLowerCase(),
              color: i === 0 ? "#dc2626" : "#16a34a",
            })),
          ]}
        />
      </div>
    </section>
  );
}
