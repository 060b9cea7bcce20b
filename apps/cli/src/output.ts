import { stdout } from "node:process";
import { terminalJson } from "./sanitize.ts";

/** Colours only on a TTY, and never when NO_COLOR is set (https://no-color.org). */
export function useColor(stream: NodeJS.WriteStream = stdout, env = process.env): boolean {
  return Boolean(stream.isTTY) && !env.NO_COLOR && env.TERM !== "dumb";
}

const CODES = { red: 31, green: 32, yellow: 33, blue: 34, gray: 90, bold: 1 } as const;
export type Color = keyof typeof CODES;

export function paint(text: string, color: Color, enabled = useColor()): string {
  return enabled ? `\u001b[${CODES[color]}m${text}\u001b[0m` : text;
}

const STATUS_COLOR: Record<string, Color> = {
  SUCCEEDED: "green",
  FAILED: "red",
  CANCELLED: "yellow",
  RUNNING: "blue",
  BUSY: "blue",
  IDLE: "green",
  OFFLINE: "gray",
  DRAINING: "yellow",
};

export function status(text: string): string {
  const color = STATUS_COLOR[text];
  return color ? paint(text, color) : text;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI colour codes start with ESC
const ANSI = /\u001b\[[0-9;]*m/g;
const visibleLength = (text: string) => text.replace(ANSI, "").length;

/** A plain-text table: header row, then rows; columns padded to their widest cell. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => visibleLength(r[i] ?? ""))));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => cell + " ".repeat(Math.max(0, (widths[i] ?? 0) - visibleLength(cell))))
      .join("  ")
      .trimEnd();
  return [line(headers.map((h) => paint(h, "bold"))), ...rows.map(line)].join("\n");
}

export function fixed(value: number | null | undefined, digits = 4): string {
  return value === null || value === undefined ? "-" : value.toFixed(digits);
}

export function bytes(value: number): string {
  const units = ["B", "KB", "MB", "GB"];
  let v = value;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

export function progressBar(done: number, total: number, width = 24): string {
  const ratio = total > 0 ? Math.min(1, done / total) : 0;
  const filled = Math.round(ratio * width);
  return `[${"#".repeat(filled)}${"-".repeat(width - filled)}]`;
}

/** A rough span for an ETA: "45s", "3m05s", "2h10m". */
export function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

/** A sweep trial's parameters: `learningRate=0.001 hiddenUnits=32` */
export const paramsText = (params: unknown) =>
  Object.entries(params as Record<string, unknown>)
    .map(([k, v]) => `${k}=${typeof v === "object" ? JSON.stringify(v) : String(v)}`)
    .join(" ");

export function printJson(value: unknown): void {
  stdout.write(`${terminalJson(value, 2)}\n`);
}

/** One JSON object per line (--watch --json). */
export function printJsonLine(value: unknown): void {
  stdout.write(`${terminalJson(value)}\n`);
}

export function print(text: string): void {
  stdout.write(`${text}\n`);
}
