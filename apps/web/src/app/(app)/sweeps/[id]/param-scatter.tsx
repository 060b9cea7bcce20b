"use client";
import {
  CartesianGrid,
  Legend,
  ResponsiveContainer,
  Scatter,
  ScatterChart,
  Tooltip,
  XAxis,
  YAxis,
  ZAxis,
} from "recharts";
import { seriesColor } from "@/components/series-color.ts";
import { formatValue } from "@/lib/format.ts";

export interface ScatterTrial {
  index: number;
  params: Record<string, unknown>;
  metric: number | null;
  stoppedEarly: boolean;
  best: boolean;
}

/**
 * One swept parameter against the sweep's metric, a dot per trial with a value: the best
 * trial, trials ASHA stopped (their metric is from the epoch they stopped at) and the rest.
 * Numbers that span a decade or more go on a log axis; other values are placed by category.
 */
export function ParamScatter({ param, metric, trials }: { param: string; metric: string; trials: ScatterTrial[] }) {
  const values = trials.map((t) => t.params[param]);
  const numeric = values.every((v) => typeof v === "number");
  const categories = numeric ? [] : [...new Set(values.map(formatValue))];
  const nums = numeric ? (values as number[]) : [];
  const log = numeric && Math.min(...nums) > 0 && Math.max(...nums) / Math.min(...nums) >= 10;
  const points = trials
    .filter((t) => t.metric !== null)
    .map((t) => ({
      x: numeric ? (t.params[param] as number) : categories.indexOf(formatValue(t.params[param])),
      y: t.metric as number,
      trial: t.index + 1,
      kind: t.best ? "best" : t.stoppedEarly ? "stopped" : "trial",
    }));
  const group = (kind: string) => points.filter((p) => p.kind === kind);
  return (
    <div className="chart" data-testid="param-scatter" data-param={param} data-points={points.length}>
      <ResponsiveContainer width="100%" height={300}>
        <ScatterChart margin={{ top: 8, right: 16, bottom: 8, left: 0 }}>
          <CartesianGrid strokeDasharray="3 3" />
          <XAxis
            type="number"
            dataKey="x"
            name={param}
            scale={log ? "log" : "auto"}
            domain={numeric ? ["auto", "auto"] : [-0.5, categories.length - 0.5]}
            ticks={numeric ? undefined : categories.map((_, i) => i)}
            tickFormatter={(v: number) => (numeric ? String(Number(v.toPrecision(3))) : (categories[v] ?? ""))}
            label={{ value: param, position: "insideBottom", offset: -4 }}
            allowDataOverflow={false}
          />
          <YAxis type="number" dataKey="y" name={metric} domain={["auto", "auto"]} />
          <ZAxis type="number" dataKey="trial" name="trial" range={[60, 60]} />
          <Tooltip cursor={{ strokeDasharray: "3 3" }} />
          <Legend verticalAlign="top" />
          <Scatter name="trials" data={group("trial")} fill={seriesColor(0)} />
          <Scatter name="stopped early" data={group("stopped")} fill="#9ca3af" />
          <Scatter name="best" data={group("best")} fill={seriesColor(2)} shape="star" />
        </ScatterChart>
      </ResponsiveContainer>
    </div>
  );
}
