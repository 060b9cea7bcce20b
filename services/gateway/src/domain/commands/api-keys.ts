import type { Role } from "@graft/contracts";
import { apiKeys } from "@graft/db";
import { and, desc, eq, isNull, ne } from "drizzle-orm";
import { announceRevokedKeys } from "../../auth/key-cache.ts";
import { API_KEY_PREFIX, displayPrefix, generateSecret, hashSecret } from "../../auth/secrets.ts";
import { revokeSessionsOf } from "../../auth/session-store.ts";
import { requireAdmin } from "../access.ts";
import type { Caller, DomainDeps } from "../deps.ts";
import { ConflictError, NotFoundError } from "../errors.ts";
import { checkId } from "../ids.ts";
import { checkName } from "../input.ts";
import type { ApiKeyRow } from "../rows.ts";

/** Most keys listed at once; a project with more is doing something else with them. */
const MAX_LISTED = 500;

const listed = {
  id: apiKeys.id,
  projectId: apiKeys.projectId,
  name: apiKeys.name,
  role: apiKeys.role,
  prefix: apiKeys.prefix,
  bootstrap: apiKeys.bootstrap,
  createdAt: apiKeys.createdAt,
  lastUsedAt: apiKeys.lastUsedAt,
  revokedAt: apiKeys.revokedAt,
};

/** API keys of the caller's project: create (the secret is shown once), list, revoke. ADMIN only. */
export class ApiKeyCommands {
  constructor(
    private readonly deps: DomainDeps,
    private readonly caller: Caller | null,
  ) {}

  async list(includeRevoked: boolean): Promise<ApiKeyRow[]> {
    const { projectId } = requireAdmin(this.caller);
    const own = eq(apiKeys.projectId, projectId);
    return await this.deps.db
      .select(listed)
      .from(apiKeys)
      .where(includeRevoked ? own : and(own, isNull(apiKeys.revokedAt)))
      .orderBy(desc(apiKeys.createdAt), desc(apiKeys.id))
      .limit(MAX_LISTED);
  }

  async create(input: { name: string; role?: Role | null }): Promise<{ apiKey: ApiKeyRow; secret: string }> {
    const { projectId } = requireAdmin(this.caller);
    const name = checkName(input.name, "input.name");
    const secret = generateSecret(API_KEY_PREFIX);
    const [apiKey] = await this.deps.db
      .insert(apiKeys)
      .values({
        projectId,
        name,
        role: input.role ?? "MEMBER",
        prefix: displayPrefix(secret),
        hash: hashSecret(secret),
      })
      .returning(listed);
    if (!apiKey) throw new Error("insert into api_keys returned nothing");
    return { apiKey, secret };
  }

  /**
   * Revokes a key and ends its dashboard sessions. Revoking a revoked key changes nothing;
   * the project's last ADMIN key cannot be revoked (nobody could manage keys after it).
   */
  async revoke(id: string): Promise<ApiKeyRow> {
    const { projectId } = requireAdmin(this.caller);
    const keyId = checkId("API key", id);
    const [key] = await this.deps.db
      .select(listed)
      .from(apiKeys)
      .where(and(eq(apiKeys.id, keyId), eq(apiKeys.projectId, projectId)));
    if (!key) throw new NotFoundError("API key", id);
    if (key.revokedAt) return key;
    if (key.role === "ADMIN") {
      const [otherAdmin] = await this.deps.db
        .select({ id: apiKeys.id })
        .from(apiKeys)
        .where(
          and(
            eq(apiKeys.projectId, projectId),
            eq(apiKeys.role, "ADMIN"),
            ne(apiKeys.id, keyId),
            isNull(apiKeys.revokedAt),
          ),
        )
        .limit(1);
      if (!otherAdmin) throw new ConflictError("this is the project's last ADMIN key: create another ADMIN key first");
    }
    const [revoked] = await this.deps.db
      .update(apiKeys)
      .set({ revokedAt: new Date() })
      .where(eq(apiKeys.id, keyId))
      .returning(listed);
    await revokeSessionsOf(this.deps.db, [keyId]);
    // Refused at once here, and by the other replicas as soon as they hear of it.
    await announceRevokedKeys(this.deps.keyCache, this.deps.nc, [keyId]);
    return revoked ?? key;
  }
}
