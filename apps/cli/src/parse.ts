import { InvalidArgumentError } from "commander";

// Parsers for commander options: a bad value becomes a usage error (exit 2) that names the
// expected form, before any request is sent.

export function integer(min: number, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    if (!/^-?\d+$/.test(value.trim())) throw new InvalidArgumentError(`expected an integer, got "${value}".`);
    const n = Number(value);
    if (n < min || n > max) throw new InvalidArgumentError(`must be between ${min} and ${max}, got ${n}.`);
    return n;
  };
}

export function decimal(min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === "" || !Number.isFinite(n))
      throw new InvalidArgumentError(`expected a number, got "${value}".`);
    if (n < min || n > max) throw new InvalidArgumentError(`must be between ${min} and ${max}, got ${n}.`);
    return n;
  };
}

export function oneOf<T extends string>(choices: readonly T[], map: (v: string) => string = (v) => v) {
  return (value: string): T => {
    const mapped = map(value) as T;
    if (!choices.includes(mapped)) {
      throw new InvalidArgumentError(`expected one of ${choices.join(", ")}, got "${value}".`);
    }
    return mapped;
  };
}

export interface Freeze {
  strategy: "ALL_BASE" | "FIRST_N" | "NONE";
  layers?: number;
}

/** `all`, `none` or `first:N`. */
export function freeze(value: string): Freeze {
  const v = value.trim().toLowerCase();
  if (v === "all") return { strategy: "ALL_BASE" };
  if (v === "none") return { strategy: "NONE" };
  const match = /^first:(\d+)$/.exec(v);
  if (match) return { strategy: "FIRST_N", layers: Number(match[1]) };
  throw new InvalidArgumentError(`expected all, none or first:N, got "${value}".`);
}

export function list(value: string): string[] {
  return value
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}
