"use client";
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";

export interface ChartRow {
  epoch: number;
  [metric: string]: number | null;
}

export interface ChartSeries {
  key: string;
  label: string;
  color: string;
}

const PALETTE = ["#2563eb", "#f97316", "#16a34a", "#9333ea", "#dc2626", "#0891b2", "#ca8a04", "#db2777"];

export function seriesColor(index: number): string {
  return PALETTE[index % PALETTE.length] ?? "#2563eb";
}

/** One metric chart; `data-points` exposes how many epochs are drawn (used by the browser tests). */
export function MetricChart(props: {
  id: string;
  title: string;
  rows: ChartRow[];
  series: ChartSeries[];
  height?: number;
  yDomain?: [number | "auto", number | "auto"];
  /** What `epoch` holds when it is not an epoch (a learning curve's training samples). @default "epoch" */
  xLabel?: string;
  /** Log scale on x (sample counts spanning decades). @default false */
  xLog?: boolean;
  /** What an empty chart says. @default "Waiting for the first epoch…" */
  emptyText?: string;
}) {
  const points = props.rows.filter((r) => props.series.some((s) => typeof r[s.key] === "number")).length;
  return (
    <figure className="chart-card" data-testid={`chart-${props.id}`} data-points={points} aria-label={props.title}>
      <h3>{props.title}</h3>
      {points === 0 ? (
        <div className="chart-empty muted" style={{ height: props.height ?? 220 }}>
          {props.emptyText ?? "Waiting for the first epoch…"}
        </div>
      ) : (
        <ResponsiveContainer width="100%" height={props.height ?? 220}>
          <LineChart data={props.rows} margin={{ top: 6, right: 16, bottom: 4, left: 0 }}>
            <CartesianGrid stroke="#eef0f3" />
            <XAxis
              dataKey="epoch"
              type="number"
              scale={props.xLog ? "log" : "auto"}
              domain={["dataMin", "dataMax"]}
              allowDecimals={false}
              fontSize={12}
              label={
                props.xLabel
                  ? { value: props.xLabel, position: "insideBottomRight", offset: -2, fontSize: 11 }
                  : undefined
              }
            />
            <YAxis domain={props.yDomain ?? ["auto", "auto"]} fontSize={12} width={56} tickFormatter={formatTick} />
            <Tooltip formatter={(v) => (typeof v === "number" ? v.toPrecision(4) : String(v))} />
            <Legend />
            {props.series.map((s) => (
              <Line
                key={s.key}
                type="monotone"
                dataKey={s.key}
                name={s.label}
                stroke={s.color}
                strokeWidth={2}
                dot={props.rows.length <= 60}
                connectNulls
                isAnimationActive={false}
              />
            ))}
          </LineChart>
        </ResponsiveContainer>
      )}
    </figure>
  );
}

function formatTick(value: number): string {
  if (value === 0) return "0";
  const abs = Math.abs(value);
  if (abs >= 1000) return `${(value / 1000).toFixed(1)}k`;
  if (abs < 0.01) return value.toExponential(1);
  // Four significant digits keep ticks distinct on flat curves (a loss moving in its third decimal).
  return Number(value.toPrecision(4)).toString();
}
