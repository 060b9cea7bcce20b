import { authenticate, type Viewer } from "../../auth/authenticate.ts";
import { isSecretShaped, SESSION_PREFIX } from "../../auth/secrets.ts";
import { revokeSession, storeSession } from "../../auth/session-store.ts";
import type { Caller, DomainDeps, RequestOrigin } from "../deps.ts";
import { UnauthenticatedError } from "../errors.ts";

/**
 * Dashboard logins. createSession trades an API key for a session token that stands for it,
 * so the dashboard keeps only the token (in an http-only cookie), never the key.
 */
export class SessionCommands {
  constructor(
    private readonly deps: DomainDeps,
    private readonly caller: Caller | null,
    private readonly origin: RequestOrigin,
  ) {}

  async create(apiKey: string): Promise<{ token: string; expiresAt: Date; viewer: Viewer }> {
    // A session cannot make another session: only the key itself logs in.
    if (!isSecretShaped(apiKey) || apiKey.startsWith(SESSION_PREFIX)) {
      throw new UnauthenticatedError("invalid or revoked API key");
    }
    const viewer = await authenticate(this.deps.db, `Bearer ${apiKey}`, {
      policy: this.deps.sessionPolicy,
      keys: this.deps.keyCache,
      failures: { limiter: this.deps.credentialFailures, clientAddress: this.origin.clientAddress },
    }).catch((error: unknown) => {
      throw error instanceof UnauthenticatedError ? new UnauthenticatedError("invalid or revoked API key") : error;
    });
    const { token, expiresAt } = await storeSession(this.deps.db, viewer.apiKeyId, this.deps.sessionPolicy);
    return { token, expiresAt, viewer };
  }

  /** Ends the session the request came with (logout); false when it came with an API key. */
  async revokeCurrent(): Promise<boolean> {
    if (!this.caller) throw new UnauthenticatedError("missing API key or session");
    if (!this.caller.sessionId) return false;
    await revokeSession(this.deps.db, this.caller.sessionId);
    return true;
  }
}
