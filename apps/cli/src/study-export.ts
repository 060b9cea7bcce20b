import type { StudyCellFieldsFragment } from "@graft/client";

/** The columns of `graft study export --format csv`, one row per cell. */
const COLUMNS = [
  "base",
  "arm",
  "fraction",
  "samples",
  "runs",
  "seeds",
  "mean_accuracy",
  "std_accuracy",
  "min_accuracy",
  "max_accuracy",
  "mean_seconds",
  "epochs_to_target",
  "seconds_to_target",
  "reached_target",
] as const;

/** RFC 4180: quote a field holding a comma, quote or line break; double its quotes. */
const field = (value: string | number | null): string => {
  const text = value === null ? "" : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
};

export function studyCsv(cells: readonly StudyCellFieldsFragment[]): string {
  const rows = cells.map((c) =>
    [
      c.baseModel.name,
      c.arm,
      c.fraction,
      c.samples,
      c.runs,
      c.seeds,
      c.meanAccuracy ?? null,
      c.stdAccuracy ?? null,
      c.minAccuracy ?? null,
      c.maxAccuracy ?? null,
      c.meanSeconds ?? null,
      c.epochsToTarget ?? null,
      c.secondsToTarget ?? null,
      c.reachedTarget,
    ]
      .map(field)
      .join(","),
  );
  return [COLUMNS.join(","), ...rows].join("\n");
}
