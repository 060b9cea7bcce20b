import { type Db, sessions } from "@graft/db";
import { and, eq, inArray, isNull, lt } from "drizzle-orm";
import type { SessionPolicy } from "./authenticate.ts";
import { generateSecret, hashSecret, SESSION_PREFIX } from "./secrets.ts";

/** Stores a new session for an API key; the token is returned once, only its hash is kept. */
export async function storeSession(
  db: Db,
  apiKeyId: string,
  policy: SessionPolicy,
): Promise<{ token: string; expiresAt: Date }> {
  const now = new Date();
  // The key's long-expired sessions go as it logs in again, so the table does not grow forever.
  await db.delete(sessions).where(and(eq(sessions.apiKeyId, apiKeyId), lt(sessions.expiresAt, now)));
  const token = generateSecret(SESSION_PREFIX);
  const expiresAt = new Date(now.getTime() + policy.maxAgeMs);
  await db.insert(sessions).values({ apiKeyId, hash: hashSecret(token), lastSeenAt: now, expiresAt });
  return { token, expiresAt };
}

export async function revokeSession(db: Db, sessionId: string): Promise<void> {
  await db.update(sessions).set({ revokedAt: new Date() }).where(eq(sessions.id, sessionId));
}

/** Ends every live session of these keys (their keys were revoked or replaced). */
export async function revokeSessionsOf(db: Db, apiKeyIds: readonly string[]): Promise<void> {
  if (apiKeyIds.length === 0) return;
  await db
    .update(sessions)
    .set({ revokedAt: new Date() })
    .where(and(inArray(sessions.apiKeyId, [...apiKeyIds]), isNull(sessions.revokedAt)));
}
