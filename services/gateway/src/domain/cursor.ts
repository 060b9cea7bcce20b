import { BadUserInputError } from "./errors.ts";

/**
 * Opaque keyset cursors: base64url JSON of the last row's sort value and id, tagged with the
 * ordering they belong to so a cursor from another ordering is refused.
 */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface CursorKey {
  order: string;
  value: string;
  id: string;
}

export const encodeCursor = (key: CursorKey) => Buffer.from(JSON.stringify(key), "utf8").toString("base64url");

export function decodeCursor(cursor: string, order: string, field = "after"): CursorKey {
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch (cause) {
    throw new BadUserInputError(field, "invalid cursor", undefined, { cause });
  }
  const k = key as Partial<CursorKey> | null;
  if (
    !k ||
    typeof k !== "object" ||
    typeof k.id !== "string" ||
    !UUID.test(k.id) ||
    typeof k.value !== "string" ||
    k.order !== order
  ) {
    throw new BadUserInputError(field, "invalid cursor (from another query or ordering?)");
  }
  return k as CursorKey;
}

export const MAX_PAGE = 200;

export function pageSize(first: number | null | undefined, field = "first"): number {
  const n = first ?? 50;
  if (!Number.isInteger(n) || n < 0 || n > MAX_PAGE) {
    throw new BadUserInputError(field, `${field} must be between 0 and ${MAX_PAGE}`);
  }
  return n;
}

export interface Page<T> {
  edges: { cursor: string; node: T }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  totalCount: number;
}
