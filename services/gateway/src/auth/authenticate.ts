import type { Role } from "@graft/contracts";
import { apiKeys, type Db, projects, sessions } from "@graft/db";
import { eq } from "drizzle-orm";
import { UnauthenticatedError } from "../domain/errors.ts";
import type { CredentialFailures } from "./credential-failures.ts";
import type { ApiKeyCache } from "./key-cache.ts";
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

export interface AuthenticateOptions {
  /** @default DEFAULT_SESSION_POLICY */
  policy?: SessionPolicy;
  /** Valid API keys seen recently (sessions are always read from the database). */
  keys?: ApiKeyCache;
  /** Failed lookups by client address: checked before a database read, counted after a failed one. */
  failures?: { limiter: CredentialFailures; clientAddress: string };
}

/**
 * Resolves an `Authorization` header (an API key, or a dashboard session token) to its
 * project and role; throws UnauthenticatedError otherwise, or TooManyAttemptsError when the
 * caller's address has failed too often to be worth another read.
 */
export async function authenticate(
  db: Db,
  authorization: string | undefined | null,
  options: AuthenticateOptions = {},
): Promise<Viewer> {
  const token = bearerToken(authorization);
  if (token === undefined) throw new UnauthenticatedError(MISSING);
  if (!isSecretShaped(token)) throw new UnauthenticatedError("invalid or revoked API key");
  const hash = hashSecret(token);
  const cached = token.startsWith(SESSION_PREFIX) ? undefined : options.keys?.get(hash);
  if (cached) {
    await touchKey(db, cached.viewer.apiKeyId, cached.lastUsedAt, (at) => {
      cached.lastUsedAt = at;
    });
    return cached.viewer;
  }
  const { failures } = options;
  failures?.limiter.check(failures.clientAddress);
  try {
    return token.startsWith(SESSION_PREFIX)
      ? await bySession(db, hash, options.policy ?? DEFAULT_SESSION_POLICY)
      : await byApiKey(db, hash, options.keys);
  } catch (error) {
    if (failures && error instanceof UnauthenticatedError) failures.limiter.failed(failures.clientAddress);
    throw error;
  }
}

async function byApiKey(db: Db, hash: string, keys: ApiKeyCache | undefined): Promise<Viewer> {
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
    .where(eq(apiKeys.hash, hash))
    .limit(1);
  if (!row || row.revokedAt) throw new UnauthenticatedError("invalid or revoked API key");
  const { lastUsedAt, revokedAt: _, ...rest } = row;
  const viewer: Viewer = { ...rest, sessionId: null };
  const entry = { viewer, lastUsedAt };
  await touchKey(db, viewer.apiKeyId, lastUsedAt, (at) => {
    entry.lastUsedAt = at;
  });
  keys?.set(hash, entry);
  return viewer;
}

/** Records a key's use, at most once per TOUCH_EVERY_MS. */
async function touchKey(db: Db, apiKeyId: string, lastUsedAt: Date | null, touched: (at: Date) => void) {
  const now = new Date();
  if (lastUsedAt && now.getTime() - lastUsedAt.getTime() <= TOUCH_EVERY_MS) return;
  touched(now);
  await db.update(apiKeys).set({ lastUsedAt: now }).where(eq(apiKeys.id, apiKeyId));
}

async function bySession(db: Db, hash: string, policy: SessionPolicy): Promise<Viewer> {
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
    .where(eq(sessions.hash, hash))
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
