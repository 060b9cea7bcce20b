import { apiKeys, type Db, projects } from "@graft/db";
import { and, eq, isNull } from "drizzle-orm";
import { UnauthenticatedError } from "../domain/errors.ts";
import { bearerToken, hashSecret } from "./secrets.ts";

/** Who is calling: every query is scoped to this project. */
export interface Viewer {
  projectId: string;
  projectName: string;
  apiKeyId: string;
}

/** Resolves an `Authorization` header to its project; throws UnauthenticatedError otherwise. */
export async function authenticate(db: Db, authorization: string | undefined | null): Promise<Viewer> {
  const token = bearerToken(authorization);
  if (token === undefined) {
    throw new UnauthenticatedError("missing API key: send `Authorization: Bearer <api key>`");
  }
  const rows = await db
    .select({ apiKeyId: apiKeys.id, projectId: projects.id, projectName: projects.name })
    .from(apiKeys)
    .innerJoin(projects, eq(projects.id, apiKeys.projectId))
    .where(and(eq(apiKeys.hash, hashSecret(token)), isNull(apiKeys.revokedAt)))
    .limit(1);
  const viewer = rows[0];
  if (!viewer) throw new UnauthenticatedError("invalid or revoked API key");
  return viewer;
}
