import { deceptiveTextProblem } from "@graft/contracts";
import { CsvError, parse } from "csv-parse/sync";
import { InvalidDatasetError } from "./errors.ts";

/**
 * Labelled text datasets: a CSV with `text` and `label` columns, or JSONL with one
 * `{"text": ..., "label": ...}` object per line. Read strictly: UTF-8 only, no control
 * characters, no empty or oversized texts, bounded rows and classes, each failure an
 * InvalidDatasetError naming the line. Graft stores the result as normalized JSONL
 * (`encodeTextDatasetJsonl`), which the trainer reads back through the same parser.
 */

export interface TextDataset {
  format: "csv" | "jsonl";
  /** Class names, sorted; `targets[i]` indexes this list. */
  labels: string[];
  classCounts: number[];
  texts: string[];
  targets: Int32Array;
}

export interface TextDatasetLimits {
  /** @default 256 MiB */
  maxBytes?: number;
  /** @default 1_000_000 */
  maxRows?: number;
  /** Characters per text (after trimming). @default 20_000 */
  maxTextChars?: number;
  /** @default 2 */
  minClasses?: number;
  /** @default 1000 */
  maxClasses?: number;
  /** Characters per label. @default 100 */
  maxLabelChars?: number;
}

const DEFAULTS = {
  maxBytes: 256 * 2 ** 20,
  maxRows: 1_000_000,
  maxTextChars: 20_000,
  minClasses: 2,
  maxClasses: 1000,
  maxLabelChars: 100,
} satisfies Required<TextDatasetLimits>;

/** C0 controls other than tab, newline and carriage return, and DEL: the marks of binary data. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

/** Parses and validates a CSV or JSONL text dataset (format told by the first character). */
export function readTextDataset(bytes: Uint8Array, limits: TextDatasetLimits = {}): TextDataset {
  const l = { ...DEFAULTS, ...limits };
  if (bytes.byteLength > l.maxBytes) throw new InvalidDatasetError(`the file is larger than ${l.maxBytes} bytes`);
  const content = decodeUtf8(bytes);
  const collector = new Collector(l);
  const first = content.trimStart()[0];
  if (first === undefined) throw new InvalidDatasetError("the file is empty");
  const format = first === "{" ? "jsonl" : "csv";
  if (format === "jsonl") readJsonl(content, collector, l);
  else readCsv(content, collector, l);
  return { format, ...collector.finish() };
}

/** One `{"text","label"}` object per line, labels by name: the form Graft stores and trainers read. */
export function encodeTextDatasetJsonl(dataset: Pick<TextDataset, "labels" | "texts" | "targets">): Uint8Array {
  const lines = dataset.texts.map(
    (text, i) => `${JSON.stringify({ text, label: dataset.labels[dataset.targets[i] as number] })}\n`,
  );
  return new TextEncoder().encode(lines.join(""));
}

/** Up to `perClass` texts of each class, in file order, each cut at `maxChars`: what a person previews. */
export function sampleTexts(dataset: TextDataset, perClass = 3, maxChars = 280): string[][] {
  const samples: string[][] = dataset.labels.map(() => []);
  for (let i = 0; i < dataset.texts.length; i++) {
    const bucket = samples[dataset.targets[i] as number] as string[];
    if (bucket.length >= perClass) continue;
    const text = dataset.texts[i] as string;
    bucket.push(text.length > maxChars ? `${text.slice(0, maxChars - 1)}…` : text);
  }
  return samples;
}

function decodeUtf8(bytes: Uint8Array): string {
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch (cause) {
    // Point at the line: the lenient decoder marks the first bad sequence with U+FFFD.
    const lenient = new TextDecoder("utf-8").decode(bytes);
    const at = lenient.indexOf("\uFFFD");
    const line = at < 0 ? undefined : `line ${lenient.slice(0, at).split("\n").length}`;
    throw new InvalidDatasetError("the file is not valid UTF-8 text", line, { cause });
  }
}

type Limits = Required<TextDatasetLimits>;

class Collector {
  private readonly labelIndex = new Map<string, number>();
  private readonly labelNames: string[] = [];
  private readonly texts: string[] = [];
  private readonly rawTargets: number[] = [];

  constructor(private readonly limits: Limits) {}

  add(text: unknown, label: unknown, line: number) {
    const where = `line ${line}`;
    if (this.texts.length >= this.limits.maxRows)
      throw new InvalidDatasetError(`more than ${this.limits.maxRows} rows`, where);
    if (typeof text !== "string") throw new InvalidDatasetError("`text` must be a string", where);
    const trimmed = text.trim();
    if (trimmed.length === 0) throw new InvalidDatasetError("empty text", where);
    if (trimmed.length > this.limits.maxTextChars)
      throw new InvalidDatasetError(`text longer than ${this.limits.maxTextChars} characters`, where);
    if (CONTROL.test(trimmed)) throw new InvalidDatasetError("control characters in text (binary data?)", where);
    const name = typeof label === "number" && Number.isFinite(label) ? String(label) : label;
    if (typeof name !== "string") throw new InvalidDatasetError("`label` must be a string or a number", where);
    const labelName = name.trim();
    if (labelName.length === 0) throw new InvalidDatasetError("empty label", where);
    if (labelName.length > this.limits.maxLabelChars || CONTROL.test(labelName))
      throw new InvalidDatasetError(`labels are at most ${this.limits.maxLabelChars} printable characters`, where);
    const deceptive = deceptiveTextProblem(labelName);
    if (deceptive) throw new InvalidDatasetError(`label ${deceptive}`, where);
    let index = this.labelIndex.get(labelName);
    if (index === undefined) {
      // Refuse as soon as the class count is out of bounds, so a file of unique labels costs little.
      if (this.labelNames.length >= this.limits.maxClasses)
        throw new InvalidDatasetError(`more than ${this.limits.maxClasses} distinct labels`, where);
      index = this.labelNames.length;
      this.labelIndex.set(labelName, index);
      this.labelNames.push(labelName);
    }
    this.texts.push(trimmed);
    this.rawTargets.push(index);
  }

  finish(): Pick<TextDataset, "labels" | "classCounts" | "texts" | "targets"> {
    if (this.labelNames.length < this.limits.minClasses)
      throw new InvalidDatasetError(
        `found ${this.labelNames.length} distinct label(s); at least ${this.limits.minClasses} are needed`,
      );
    const labels = [...this.labelNames].sort();
    const remap = this.labelNames.map((name) => labels.indexOf(name));
    const targets = Int32Array.from(this.rawTargets, (raw) => remap[raw] as number);
    const classCounts = labels.map(() => 0);
    for (const target of targets) classCounts[target] = (classCounts[target] as number) + 1;
    return { labels, classCounts, texts: this.texts, targets };
  }
}

function readJsonl(content: string, collector: Collector, limits: Limits) {
  // Room for JSON escapes: a text of maxTextChars may take up to 6 characters per character.
  const maxLineChars = limits.maxTextChars * 6 + limits.maxLabelChars * 6 + 1000;
  let start = 0;
  let line = 0;
  while (start <= content.length) {
    let end = content.indexOf("\n", start);
    if (end < 0) end = content.length;
    line++;
    const where = `line ${line}`;
    if (end - start > maxLineChars) throw new InvalidDatasetError(`line longer than ${maxLineChars} characters`, where);
    const raw = content.slice(start, end).trim();
    start = end + 1;
    if (raw.length === 0) continue;
    let row: unknown;
    try {
      row = JSON.parse(raw);
    } catch (cause) {
      throw new InvalidDatasetError("not a JSON object", where, { cause });
    }
    if (typeof row !== "object" || row === null || Array.isArray(row))
      throw new InvalidDatasetError("not a JSON object", where);
    const { text, label } = row as { text?: unknown; label?: unknown };
    collector.add(text, label, line);
  }
}

function readCsv(content: string, collector: Collector, limits: Limits) {
  let textColumn = -1;
  let labelColumn = -1;
  try {
    parse(content, {
      bom: true,
      skip_empty_lines: true,
      max_record_size: limits.maxTextChars * 2 + limits.maxLabelChars * 2 + 1000,
      // One more than allowed, so "too many rows" is told apart from "exactly the limit".
      to: limits.maxRows + 2,
      on_record: (record, context) => {
        if (textColumn < 0) {
          const header = record.map((h) => h.trim().toLowerCase());
          textColumn = header.indexOf("text");
          labelColumn = header.indexOf("label");
          if (textColumn < 0 || labelColumn < 0)
            throw new InvalidDatasetError("the CSV header must name a `text` and a `label` column", "line 1");
          return null;
        }
        collector.add(record[textColumn], record[labelColumn], context.lines);
        return null;
      },
    });
  } catch (error) {
    if (error instanceof InvalidDatasetError) throw error;
    if (error instanceof CsvError) {
      const line = (error as CsvError & { lines?: number }).lines;
      throw new InvalidDatasetError(
        `not a readable CSV: ${error.message}`,
        line === undefined ? undefined : `line ${line}`,
        { cause: error },
      );
    }
    throw error;
  }
  if (textColumn < 0) throw new InvalidDatasetError("the CSV has no header row");
}
