import { apiKeys, type Db, joinTokens, projects } from "@graft/db";
import { eq } from "drizzle-orm";
import { API_KEY_PREFIX, displayPrefix, generateSecret, hashSecret, JOIN_TOKEN_PREFIX } from "./secrets.ts";

export const LOCAL_PROJECT = "default";

export interface LocalCredentials {
  projectId: string;
  apiKey: string;
  joinToken: string;
}

/**
 * Local mode: make sure project "default" exists and that the given (or a fresh) API key and
 * join token are valid. Idempotent, so the same key can be passed on every start.
 */
export async function bootstrapLocal(
  db: Db,
  given: { apiKey?: string | undefined; joinToken?: string | undefined },
): Promise<LocalCredentials> {
  await db.insert(projects).values({ name: LOCAL_PROJECT }).onConflictDoNothing();
  const [project] = await db.select({ id: projects.id }).from(projects).where(eq(projects.name, LOCAL_PROJECT));
  if (!project) throw new Error(`project ${LOCAL_PROJECT} vanished while bootstrapping`);

  const apiKey = given.apiKey ?? generateSecret(API_KEY_PREFIX);
  await db
    .insert(apiKeys)
    .values({ projectId: project.id, name: "local", prefix: displayPrefix(apiKey), hash: hashSecret(apiKey) })
    .onConflictDoNothing();

  const joinToken = given.joinToken ?? generateSecret(JOIN_TOKEN_PREFIX);
  await db
    .insert(joinTokens)
    .values({ name: "local", hash: hashSecret(joinToken) })
    .onConflictDoNothing();
  return { projectId: project.id, apiKey, joinToken };
}

/** Creates a project with its own API key (tests and admin scripts). */
export async function createProject(db: Db, name: string): Promise<{ projectId: string; apiKey: string }> {
  const [project] = await db.insert(projects).values({ name }).returning({ id: projects.id });
  if (!project) throw new Error("insert into projects returned nothing");
  const apiKey = generateSecret(API_KEY_PREFIX);
  await db
    .insert(apiKeys)
    .values({ projectId: project.id, name: "created", prefix: displayPrefix(apiKey), hash: hashSecret(apiKey) });
  return { projectId: project.id, apiKey };
}
