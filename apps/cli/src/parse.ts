import { ControlKind, type FreezeInput, FreezeStrategy, StudyArm } from "@graft/client";
import { InvalidArgumentError } from "commander";

// Parsers for commander options check a value's form (a number, one of the choices) before
// anything is sent; a bad one is a usage error (exit 2) that names the expected form. Where
// the gateway owns a range (the hyperparameters), the parser checks form only and the
// gateway's refusal becomes the same usage error (see flag-errors.ts).

/** GraphQL's Int is 32-bit: anything larger could not even be sent. */
const INT_MAX = 2 ** 31 - 1;

export function integer(min = -INT_MAX - 1, max = INT_MAX) {
  return (value: string): number => {
    if (!/^-?\d+$/.test(value.trim())) throw new InvalidArgumentError(`expected an integer, got "${value}".`);
    const n = Number(value);
    if (n < min || n > max) throw new InvalidArgumentError(`must be between ${min} and ${max}, got ${n}.`);
    return n;
  };
}

export function decimal(min = -Number.MAX_VALUE, max = Number.MAX_VALUE) {
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

/** `all`, `none` or `first:N`. */
export function freeze(value: string): FreezeInput {
  const v = value.trim().toLowerCase();
  if (v === "all") return { strategy: FreezeStrategy.AllBase };
  if (v === "none") return { strategy: FreezeStrategy.None };
  const match = /^first:(\d+)$/.exec(v);
  if (match) return { strategy: FreezeStrategy.FirstN, layers: Number(match[1]) };
  throw new InvalidArgumentError(`expected all, none or first:N, got "${value}".`);
}

export function list(value: string): string[] {
  return value
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}

/** `scratch,linear-probe` -> [SCRATCH, LINEAR_PROBE]; each kind once. */
export function controls(value: string): ControlKind[] {
  const kinds = list(value).map((v) => v.toUpperCase().replaceAll("-", "_"));
  const known = Object.values(ControlKind) as string[];
  const unknown = kinds.find((k) => !known.includes(k));
  if (unknown !== undefined)
    throw new InvalidArgumentError(
      `expected a list of scratch, linear-probe; got "${unknown.toLowerCase().replaceAll("_", "-")}".`,
    );
  if (new Set(kinds).size !== kinds.length) throw new InvalidArgumentError("each control kind at most once.");
  return kinds as ControlKind[];
}

/** `0.01,0.1,1` -> numbers (their range is the gateway's to check). */
export function decimals(value: string): number[] {
  return list(value).map((v) => decimal()(v));
}

/** `1,2,3` -> integers. */
export function integers(value: string): number[] {
  return list(value).map((v) => integer()(v));
}

/** `fine-tune,scratch,linear-probe` -> [FINE_TUNE, SCRATCH, LINEAR_PROBE]. */
export function studyArms(value: string): StudyArm[] {
  const arms = list(value).map((v) => v.toUpperCase().replaceAll("-", "_"));
  const known = Object.values(StudyArm) as string[];
  const unknown = arms.find((a) => !known.includes(a));
  if (unknown !== undefined)
    throw new InvalidArgumentError(
      `expected a list of fine-tune, scratch, linear-probe; got "${unknown.toLowerCase().replaceAll("_", "-")}".`,
    );
  return arms as StudyArm[];
}
