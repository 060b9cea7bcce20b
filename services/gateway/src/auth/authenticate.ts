import type { Role } from "@graft/contracts";
import { apiKeys, type Db, projects, sessions } from "@graft/db";
import { eq } from "drizzle-orm";
import { UnauthenticatedError } from "../domain/errors.ts";
import { bearerToken, hashSecret, isSecretShaped, SESSION_PREFIX } from "./secrets.ts";

/** Who is calling: every query is scoped to this project, every privilege follows the role. */
export interface Viewer {
  projectId: string;
  projectName: string;
  apiKeyId: string;
  keyName: string;
  role: Role;
  /** Set when the caller came with a dashboard session rather than the API key itself. */
  sessionId: string | null;
}

/** How long a dashboard session lasts. */
export interface SessionPolicy {
  /** A session unused this long ends. @default 8 hours */
  idleMs: number;
  /** A session ends this long after login, used or not. @default 7 days */
  maxAgeMs: number;
}

export const DEFAULT_SESSION_POLICY: SessionPolicy = { idleMs: 8 * 3600_000, maxAgeMs: 7 * 24 * 3600_000 };

// Last-used times are written at most this often per key or session, not on every request.
const TOUCH_EVERY_MS = 60_000;

const MISSING = "missing API key: send `Authorization: Bearer <api key>`";

/**
 * Resolves an `Authorization` header (an API key, or a dashboard session token) to its
 * project and role; throws UnauthenticatedError otherwise.
 */
export async function authenticate(
  db: Db,
  authorization: string | undefined | null,
  policy: SessionPolicy = DEFAULT_SESSION_POLICY,
): Promise<Viewer> {
  const token = bearerToken(authorization);
  if (token === undefined) throw new UnauthenticatedError(MISSING);
  if (!isSecretShaped(token)) throw new UnauthenticatedError("invalid or revoked API key");
  return token.startsWith(SESSION_PREFIX) ? await bySession(db, token, policy) : await byApiKey(db, token);
}

async function byApiKey(db: Db, token: string): Promise<Viewer> {
  const [row] = await db
    .select({
      apiKeyId: apiKeys.id,
      keyName: apiKeys.name,
      role: apiKeys.role,
      projectId: projects.id,
      projectName: projects.name,
      lastUsedAt: apiKeys.lastUsedAt,
      revokedAt: apiKeys.revokedAt,
    })
    .from(apiKeys)
    .innerJoin(projects, eq(projects.id, apiKeys.projectId))
    .where(eq(apiKeys.hash, hashSecret(token)))
    .limit(1);
  if (!row || row.revokedAt) throw new UnauthenticatedError("invalid or revoked API key");
  const now = new Date();
  if (!row.lastUsedAt || now.getTime() - row.lastUsedAt.getTime() > TOUCH_EVERY_MS) {
    await db.update(apiKeys).set({ lastUsedAt: now }).where(eq(apiKeys.id, row.apiKeyId));
  }
  const { lastUsedAt: _, revokedAt: __, ...viewer } = row;
  return { ...viewer, sessionId: null };
}

async function bySession(db: Db, token: string, policy: SessionPolicy): Promise<Viewer> {
  const [row] = await db
    .select({
      sessionId: sessions.id,
      lastSeenAt: sessions.lastSeenAt,
      expiresAt: sessions.expiresAt,
      sessionRevokedAt: sessions.revokedAt,
      keyRevokedAt: apiKeys.revokedAt,
      apiKeyId: apiKeys.id,
      keyName: apiKeys.name,
      role: apiKeys.role,
      projectId: projects.id,
      projectName: projects.name,
    })
    .from(sessions)
    .innerJoin(apiKeys, eq(apiKeys.id, sessions.apiKeyId))
    .innerJoin(projects, eq(projects.id, apiKeys.projectId))
    .where(eq(sessions.hash, hashSecret(token)))
    .limit(1);
  if (!row || row.sessionRevokedAt || row.keyRevokedAt) throw new UnauthenticatedError("invalid or revoked session");
  const now = new Date();
  const idleFor = now.getTime() - row.lastSeenAt.getTime();
  if (row.expiresAt <= now || idleFor >= policy.idleMs) throw new UnauthenticatedError("the session has expired");
  // Short idle timeouts (tests) are kept exactly: touch at least four times per timeout.
  if (idleFor > Math.min(TOUCH_EVERY_MS, policy.idleMs / 4)) {
    await db.update(sessions).set({ lastSeenAt: now }).where(eq(sessions.id, row.sessionId));
  }
  return {
    projectId: row.projectId,
    projectName: row.projectName,
    apiKeyId: row.apiKeyId,
    keyName: row.keyName,
    role: row.role,
    sessionId: row.sessionId,
  };
}
