import type { Role } from "@graft/contracts";
import { apiKeys, type Db, joinTokens, projects } from "@graft/db";
import { and, eq, isNull, ne } from "drizzle-orm";
import { API_KEY_PREFIX, displayPrefix, generateSecret, hashSecret, JOIN_TOKEN_PREFIX } from "./secrets.ts";
import { revokeSessionsOf } from "./session-store.ts";

export const LOCAL_PROJECT = "default";

export interface LocalCredentials {
  projectId: string;
  apiKey: string;
  joinToken: string;
}

/** The operator's bootstrap key or join token was revoked: reusing it would undo the revocation. */
export class RevokedBootstrapSecretError extends Error {
  override name = "RevokedBootstrapSecretError";
  constructor(readonly secret: "apiKey" | "joinToken") {
    super(
      secret === "apiKey"
        ? "the bootstrap API key was revoked; set GRAFT_BOOTSTRAP_KEY to a new key (in local mode: delete GRAFT_HOME/local-api-key)"
        : "the bootstrap join token was revoked; set GRAFT_JOIN_TOKEN to a new token (in local mode: delete GRAFT_HOME/join-token)",
    );
  }
}

/**
 * Makes sure project "default" exists and that the given (or a fresh) API key and join token
 * are valid, the key as ADMIN. Idempotent for the same secrets; a changed secret replaces
 * the one bootstrapped before it, which is revoked (with the old key's sessions), so
 * rotating GRAFT_BOOTSTRAP_KEY or GRAFT_JOIN_TOKEN shuts out the old value.
 */
export async function bootstrapLocal(
  db: Db,
  given: { apiKey?: string | undefined; joinToken?: string | undefined },
): Promise<LocalCredentials> {
  await db.insert(projects).values({ name: LOCAL_PROJECT }).onConflictDoNothing();
  const [project] = await db.select({ id: projects.id }).from(projects).where(eq(projects.name, LOCAL_PROJECT));
  if (!project) throw new Error(`project ${LOCAL_PROJECT} vanished while bootstrapping`);
  const apiKey = given.apiKey ?? generateSecret(API_KEY_PREFIX);
  await bootstrapApiKey(db, project.id, apiKey);
  const joinToken = given.joinToken ?? generateSecret(JOIN_TOKEN_PREFIX);
  await bootstrapJoinToken(db, joinToken);
  return { projectId: project.id, apiKey, joinToken };
}

async function bootstrapApiKey(db: Db, projectId: string, apiKey: string): Promise<void> {
  const hash = hashSecret(apiKey);
  await db
    .insert(apiKeys)
    .values({ projectId, name: "bootstrap", role: "ADMIN", bootstrap: true, prefix: displayPrefix(apiKey), hash })
    .onConflictDoNothing();
  const [current] = await db
    .update(apiKeys)
    .set({ role: "ADMIN", bootstrap: true })
    .where(and(eq(apiKeys.hash, hash), eq(apiKeys.projectId, projectId)))
    .returning({ id: apiKeys.id, revokedAt: apiKeys.revokedAt });
  if (!current) throw new Error("the bootstrap API key belongs to another project");
  if (current.revokedAt) throw new RevokedBootstrapSecretError("apiKey");
  const replaced = await db
    .update(apiKeys)
    .set({ revokedAt: new Date() })
    .where(
      and(
        eq(apiKeys.projectId, projectId),
        eq(apiKeys.bootstrap, true),
        ne(apiKeys.id, current.id),
        isNull(apiKeys.revokedAt),
      ),
    )
    .returning({ id: apiKeys.id });
  await revokeSessionsOf(
    db,
    replaced.map((r) => r.id),
  );
}

async function bootstrapJoinToken(db: Db, joinToken: string): Promise<void> {
  const hash = hashSecret(joinToken);
  await db
    .insert(joinTokens)
    .values({ name: "bootstrap", bootstrap: true, prefix: displayPrefix(joinToken), hash })
    .onConflictDoNothing();
  const [current] = await db
    .update(joinTokens)
    .set({ bootstrap: true })
    .where(eq(joinTokens.hash, hash))
    .returning({ id: joinTokens.id, revokedAt: joinTokens.revokedAt });
  if (!current) throw new Error("the bootstrap join token vanished while bootstrapping");
  if (current.revokedAt) throw new RevokedBootstrapSecretError("joinToken");
  await db
    .update(joinTokens)
    .set({ revokedAt: new Date() })
    .where(and(eq(joinTokens.bootstrap, true), ne(joinTokens.id, current.id), isNull(joinTokens.revokedAt)));
}

/** Creates a project with its own API key (tests and admin scripts). @default role MEMBER */
export async function createProject(
  db: Db,
  name: string,
  role: Role = "MEMBER",
): Promise<{ projectId: string; apiKey: string }> {
  const [project] = await db.insert(projects).values({ name }).returning({ id: projects.id });
  if (!project) throw new Error("insert into projects returned nothing");
  const apiKey = generateSecret(API_KEY_PREFIX);
  await db
    .insert(apiKeys)
    .values({ projectId: project.id, name: "created", role, prefix: displayPrefix(apiKey), hash: hashSecret(apiKey) });
  return { projectId: project.id, apiKey };
}
