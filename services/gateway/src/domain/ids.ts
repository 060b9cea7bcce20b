import { isUuid } from "@graft/contracts";
import { BadUserInputError, NotFoundError } from "./errors.ts";

/**
 * Ids are database UUIDs; anything else cannot name a row. Answers NOT_FOUND like an absent
 * row, so malformed and foreign ids look the same from outside.
 */
export function checkId(entity: string, id: string, field?: string): string {
  if (!isUuid(id)) throw new NotFoundError(entity, id, field);
  return id.toLowerCase();
}

/** For optional references inside input objects, where a malformed id is an input error. */
export function inputId(field: string, id: string): string {
  if (!isUuid(id)) throw new BadUserInputError(field, `${field} is not a valid id`);
  return id.toLowerCase();
}
