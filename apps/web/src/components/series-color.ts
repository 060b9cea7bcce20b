// A line's or point's colour by index, shared by the canvas charts and the sweep's scatter
// (a module of its own so the scatter does not pull in the canvas chart).
const PALETTE = ["#2563eb", "#f97316", "#16a34a", "#9333ea", "#dc2626", "#0891b2", "#ca8a04", "#db2777"];

export function seriesColor(index: number): string {
  return PALETTE[index % PALETTE.length] ?? "#2563eb";
}
