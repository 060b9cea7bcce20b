"use client";
import { useEffect, useMemo, useRef } from "react";
import type uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

export interface ChartRow {
  epoch: number;
  [metric: string]: number | null;
}

export interface ChartSeries {
  key: string;
  label: string;
  color: string;
}

// uPlot draws on a canvas in the browser only: it is never evaluated on the server, and its
// chunk starts loading as soon as this module runs in the browser (in parallel with the data).
const importUplot = () => import("uplot");
let uplotModule: ReturnType<typeof importUplot> | undefined;
const loadUplot = () => {
  uplotModule ??= importUplot();
  return uplotModule;
};
if (typeof window !== "undefined") void loadUplot();

const AXIS_COLOR = "#5b6472";
const GRID_COLOR = "#eef0f3";
const FONT = "12px system-ui, sans-serif";
/** Tick steps for whole numbers (epochs, sample counts): 1, 2, 5, 10, 20, 50, ... */
const WHOLE_STEPS = Array.from({ length: 9 }, (_, k) => [1, 2, 5].map((m) => m * 10 ** k)).flat();

type Columns = [number[], ...(number | null)[][]];

/** What a plot is built from; a change rebuilds it. */
interface ChartShape {
  series: ChartSeries[];
  height: number;
  yDomain: [number | "auto", number | "auto"];
  xLabel: string;
  xLog: boolean;
}

interface SeriesSummary {
  label: string;
  points: number;
  first?: { x: number; y: number };
  last?: { x: number; y: number };
  min?: number;
  max?: number;
}

/**
 * One metric chart, drawn by uPlot on a canvas (tens of thousands of points stay cheap).
 * Once drawn, `data-points` on the figure says how many x values (epochs) the canvas holds:
 * the browser tests and the dashboard bench read it. The data stays reachable as text in a
 * visually hidden summary table (per line: points, first and last value, range).
 */
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
  const height = props.height ?? 220;
  const xLabel = props.xLabel ?? "epoch";
  // Callers build `series` and `rows` afresh on every render: the plot is rebuilt only when
  // what it shows changes (its shape, compared as JSON), and new rows (streamed epochs) go
  // to the existing plot.
  const shapeJson = JSON.stringify({
    series: props.series,
    height,
    yDomain: props.yDomain ?? ["auto", "auto"],
    xLabel,
    xLog: props.xLog === true,
  } satisfies ChartShape);
  const shape = useMemo(() => JSON.parse(shapeJson) as ChartShape, [shapeJson]);
  const columns = useMemo(() => toColumns(props.rows, shape.series), [props.rows, shape]);
  const summary = useMemo(() => summarize(columns, shape.series), [columns, shape]);
  const empty = columns[0].length === 0;

  const figure = useRef<HTMLElement>(null);
  const holder = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const latest = useRef(columns);
  latest.current = columns;

  useEffect(() => {
    const el = figure.current;
    if (empty) {
      if (el) el.dataset.points = "0";
      return;
    }
    let cancelled = false;
    let created: uPlot | undefined;
    let resizes: ResizeObserver | undefined;
    void loadUplot().then(({ default: UPlot }) => {
      const box = holder.current;
      if (cancelled || !box || !el) return;
      const drawn = (u: uPlot) => {
        el.dataset.points = String(drawnPoints(u.data as Columns));
      };
      const chart = new UPlot(plotOptions(UPlot, shape, box.clientWidth, drawn), latest.current, box);
      created = chart;
      plot.current = chart;
      resizes = new ResizeObserver(() => {
        if (box.clientWidth > 0 && box.clientWidth !== chart.width) {
          chart.setSize({ width: box.clientWidth, height: shape.height });
        }
      });
      resizes.observe(box);
    });
    return () => {
      cancelled = true;
      resizes?.disconnect();
      created?.destroy();
      plot.current = null;
    };
  }, [shape, empty]);

  useEffect(() => {
    if (plot.current && plot.current.data !== columns) plot.current.setData(columns);
  }, [columns]);

  return (
    <figure className="chart-card" data-testid={`chart-${props.id}`} ref={figure} aria-label={props.title}>
      <h3>{props.title}</h3>
      {empty ? (
        <div className="chart-empty muted" style={{ height }}>
          {props.emptyText ?? "Waiting for the first epoch…"}
        </div>
      ) : (
        <div ref={holder} className="chart-canvas" style={{ minHeight: height }} aria-hidden="true" />
      )}
      {empty ? null : <SummaryTable title={props.title} xLabel={xLabel} summary={summary} />}
    </figure>
  );
}

function SummaryTable(props: { title: string; xLabel: string; summary: SeriesSummary[] }) {
  const at = (p?: { x: number; y: number }) => (p ? `${formatValue(p.y)} at ${props.xLabel} ${p.x}` : "—");
  return (
    <table className="visually-hidden" data-testid="chart-summary">
      <caption>{props.title}: data summary</caption>
      <thead>
        <tr>
          <th scope="col">line</th>
          <th scope="col">points</th>
          <th scope="col">first</th>
          <th scope="col">last</th>
          <th scope="col">lowest</th>
          <th scope="col">highest</th>
        </tr>
      </thead>
      <tbody>
        {props.summary.map((s) => (
          <tr key={s.label}>
            <th scope="row">{s.label}</th>
            <td>{s.points}</td>
            <td>{at(s.first)}</td>
            <td>{at(s.last)}</td>
            <td>{s.min === undefined ? "—" : formatValue(s.min)}</td>
            <td>{s.max === undefined ? "—" : formatValue(s.max)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** uPlot's columns: the x values (sorted) with at least one line's value, then one column per line. */
function toColumns(rows: ChartRow[], series: ChartSeries[]): Columns {
  const kept = rows.filter((r) => series.some((s) => typeof r[s.key] === "number")).sort((a, b) => a.epoch - b.epoch);
  return [
    kept.map((r) => r.epoch),
    ...series.map((s) => kept.map((r) => (typeof r[s.key] === "number" ? (r[s.key] as number) : null))),
  ];
}

/** How many x values have at least one value drawn. */
function drawnPoints(columns: Columns): number {
  const [xs, ...lines] = columns;
  let n = 0;
  for (let i = 0; i < xs.length; i++) if (lines.some((line) => typeof line[i] === "number")) n++;
  return n;
}

function summarize(columns: Columns, series: ChartSeries[]): SeriesSummary[] {
  const [xs, ...lines] = columns;
  return series.map((s, k) => {
    const summary: SeriesSummary = { label: s.label, points: 0 };
    for (const [i, y] of (lines[k] ?? []).entries()) {
      const x = xs[i];
      if (y === null || x === undefined) continue;
      summary.points++;
      summary.first ??= { x, y };
      summary.last = { x, y };
      summary.min = Math.min(summary.min ?? y, y);
      summary.max = Math.max(summary.max ?? y, y);
    }
    return summary;
  });
}

function plotOptions(UPlot: typeof uPlot, shape: ChartShape, width: number, drawn: (u: uPlot) => void): uPlot.Options {
  const [low, high] = shape.yDomain;
  const axis = {
    stroke: AXIS_COLOR,
    font: FONT,
    labelFont: FONT,
    grid: { stroke: GRID_COLOR, width: 1 },
    ticks: { show: false },
  };
  return {
    width: Math.max(width, 200),
    height: shape.height,
    scales: {
      x: { time: false, distr: shape.xLog ? 3 : 1 },
      y: {
        range: (_u, min, max) => {
          const auto = UPlot.rangeNum(min, max, 0.1, true);
          return [low === "auto" ? auto[0] : low, high === "auto" ? auto[1] : high];
        },
      },
    },
    axes: [
      { ...axis, size: 28, label: shape.xLabel, labelSize: 16, ...(shape.xLog ? {} : { incrs: WHOLE_STEPS }) },
      { ...axis, size: 56, values: (_u, splits) => splits.map(formatTick) },
    ],
    series: [
      { label: shape.xLabel, value: (_u, v) => (v === null ? "—" : String(v)) },
      ...shape.series.map((s) => ({
        label: s.label,
        stroke: s.color,
        width: 2,
        spanGaps: true,
        value: (_u: uPlot, v: number | null) => (v === null ? "—" : formatValue(v)),
      })),
    ],
    legend: { live: true },
    hooks: { draw: [drawn] },
  };
}

function formatValue(value: number): string {
  return value.toPrecision(4);
}

function formatTick(value: number): string {
  if (value === 0) return "0";
  const abs = Math.abs(value);
  if (abs >= 1000) return `${(value / 1000).toFixed(1)}k`;
  if (abs < 0.01) return value.toExponential(1);
  // Four significant digits keep ticks distinct on flat curves (a loss moving in its third decimal).
  return Number(value.toPrecision(4)).toString();
}
