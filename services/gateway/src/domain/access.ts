import type { Caller } from "./deps.ts";
import { ForbiddenError, UnauthenticatedError } from "./errors.ts";

/**
 * The one check for admin-only operations (key management, join tokens, fleet operations
 * such as draining or removing a trainer): UNAUTHENTICATED without a caller, FORBIDDEN for a
 * MEMBER key. Call it before touching anything.
 */
export function requireAdmin(caller: Caller | null): Caller {
  if (!caller) throw new UnauthenticatedError("missing API key: send `Authorization: Bearer <api key>`");
  if (caller.role !== "ADMIN") throw new ForbiddenError("this needs an ADMIN API key; yours is a MEMBER key");
  return caller;
}
