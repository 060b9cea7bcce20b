import { deceptiveTextProblem, isIdToken, MAX_NAME_LENGTH } from "@graft/contracts";
import type { z } from "zod";
import { BadUserInputError } from "./errors.ts";

/** Validates with zod; failures become BAD_USER_INPUT with the first issue's path as `field`. */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, prefix: string): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => ({
    field: [prefix, ...issue.path.map(String)].join("."),
    message: issue.message,
  }));
  const first = issues[0] ?? { field: prefix, message: "invalid input" };
  throw new BadUserInputError(first.field, `${first.field}: ${first.message}`, issues, { cause: result.error });
}

/**
 * Display names and labels: trimmed, 1-200 characters, no control characters (terminal
 * escapes), no zero-width or direction-changing characters (names that look like other
 * names or read backwards). They never become paths or keys.
 */
export function checkName(value: string, field: string): string {
  const name = value.trim();
  if (name.length === 0 || name.length > MAX_NAME_LENGTH)
    throw new BadUserInputError(field, `${field} must be 1-${MAX_NAME_LENGTH} characters`, undefined, {
      limit: "TEXT_LENGTH",
    });
  const problem = deceptiveTextProblem(name);
  if (problem) throw new BadUserInputError(field, `${field} ${problem}`);
  return name;
}

/** A trainer pool name (it becomes a NATS subject token); null or undefined is the default pool. */
export function checkPool(value: string | null | undefined, field: string): string {
  const pool = value ?? "default";
  if (!isIdToken(pool)) throw new BadUserInputError(field, `${field} must be 1-128 letters, digits, '-' or '_'`);
  return pool;
}
