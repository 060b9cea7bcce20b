import { joinTokens } from "@graft/db";
import { desc, eq, isNull } from "drizzle-orm";
import { displayPrefix, generateSecret, hashSecret, JOIN_TOKEN_PREFIX } from "../../auth/secrets.ts";
import { requireAdmin } from "../access.ts";
import type { Caller, DomainDeps } from "../deps.ts";
import { NotFoundError } from "../errors.ts";
import { checkId } from "../ids.ts";
import { checkName } from "../input.ts";
import type { JoinTokenRow } from "../rows.ts";

const MAX_LISTED = 500;

const listed = {
  id: joinTokens.id,
  name: joinTokens.name,
  prefix: joinTokens.prefix,
  bootstrap: joinTokens.bootstrap,
  createdAt: joinTokens.createdAt,
  lastUsedAt: joinTokens.lastUsedAt,
  revokedAt: joinTokens.revokedAt,
};

/**
 * Join tokens, which trainers present to join the fleet: create (the secret is shown once),
 * list, revoke. The fleet is shared by every project, so these are for ADMIN keys only.
 * Revoking a token stops new registrations with it; trainers that joined keep their own tokens.
 */
export class JoinTokenCommands {
  constructor(
    private readonly deps: DomainDeps,
    private readonly caller: Caller | null,
  ) {}

  async list(includeRevoked: boolean): Promise<JoinTokenRow[]> {
    requireAdmin(this.caller);
    const query = this.deps.db.select(listed).from(joinTokens);
    return await (includeRevoked ? query : query.where(isNull(joinTokens.revokedAt)))
      .orderBy(desc(joinTokens.createdAt), desc(joinTokens.id))
      .limit(MAX_LISTED);
  }

  async create(input: { name: string }): Promise<{ joinToken: JoinTokenRow; secret: string }> {
    requireAdmin(this.caller);
    const name = checkName(input.name, "input.name");
    const secret = generateSecret(JOIN_TOKEN_PREFIX);
    const [joinToken] = await this.deps.db
      .insert(joinTokens)
      .values({ name, prefix: displayPrefix(secret), hash: hashSecret(secret) })
      .returning(listed);
    if (!joinToken) throw new Error("insert into join_tokens returned nothing");
    return { joinToken, secret };
  }

  async revoke(id: string): Promise<JoinTokenRow> {
    requireAdmin(this.caller);
    const tokenId = checkId("join token", id);
    const [token] = await this.deps.db.select(listed).from(joinTokens).where(eq(joinTokens.id, tokenId));
    if (!token) throw new NotFoundError("join token", id);
    if (token.revokedAt) return token;
    const [revoked] = await this.deps.db
      .update(joinTokens)
      .set({ revokedAt: new Date() })
      .where(eq(joinTokens.id, tokenId))
      .returning(listed);
    return revoked ?? token;
  }
}
