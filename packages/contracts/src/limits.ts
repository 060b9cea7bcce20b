/**
 * Which bound an input crossed: `extensions.limit` of a BAD_USER_INPUT error (and of
 * ModelLimitError / UnsafeArchiveError in @graft/artifacts), so a client can tell "this file
 * is too big for Graft" from "this file is broken" without parsing messages.
 */
export const LIMIT_CODES = [
  "MODEL_JSON_BYTES",
  "MODEL_LAYERS",
  "MODEL_WEIGHT_ENTRIES",
  "MODEL_NAME_LENGTH",
  "MODEL_PARAMETERS",
  "MODEL_INPUT_SHAPE",
  "MODEL_WEIGHT_BYTES",
  "MODEL_SHARDS",
  "JSON_DEPTH",
  "ARCHIVE_ENTRIES",
  "ARCHIVE_BYTES",
  "IMAGE_PIXELS",
  "TEXT_LENGTH",
] as const;
export type LimitCode = (typeof LIMIT_CODES)[number];

/** Deepest JSON nesting any Graft input may have (model.json, provenance, tokenizer.json). */
export const MAX_JSON_DEPTH = 64;

/**
 * The nesting depth of JSON text, in one linear pass without parsing it, so a
 * `[[[[...` a million deep is refused before JSON.parse, JSON.stringify or a recursive
 * walk can overflow the stack. Brackets inside strings do not count.
 */
export function jsonDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      depth++;
      if (depth > max) max = depth;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return max;
}

/** The depth of an already-parsed value, iteratively (no recursion to overflow). */
export function valueDepth(value: unknown, stopAt = Number.POSITIVE_INFINITY): number {
  let max = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop() as [unknown, number];
    if (typeof current !== "object" || current === null) continue;
    const level = depth + 1;
    if (level > max) max = level;
    if (max > stopAt) return max;
    for (const child of Array.isArray(current) ? current : Object.values(current)) stack.push([child, level]);
  }
  return max;
}

/**
 * Characters that make text lie about itself: bidi overrides and isolates (the "Trojan
 * Source" trick, a name that reads backwards), zero-width characters (two names that look
 * the same), and C0/C1 controls (terminal escapes). Refused in every name and label.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
const DECEPTIVE = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/u;

/** Why `text` is not acceptable as a display name or label, or null when it is. */
export function deceptiveTextProblem(text: string): string | null {
  const match = DECEPTIVE.exec(text);
  if (!match) return null;
  const point = match[0].codePointAt(0) as number;
  const code = point.toString(16).toUpperCase().padStart(4, "0");
  return point < 0x20 || (point >= 0x7f && point <= 0x9f)
    ? `contains a control character (U+${code})`
    : `contains an invisible or direction-changing character (U+${code})`;
}

/** Longest display name (model, dataset, experiment, key...). */
export const MAX_NAME_LENGTH = 200;
/** Longest class label and layer name. */
export const MAX_LABEL_LENGTH = 256;
