import { API_KEYS_REVOKED, apiKeysRevokedSchema, encodeMessage, parseMessage } from "@graft/contracts";
import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import type { Viewer } from "./authenticate.ts";

/** A key that was found valid, and when. */
export interface CachedKey {
  viewer: Viewer;
  lastUsedAt: Date | null;
}

/**
 * API keys that resolved to a viewer recently, by the hash of the key, so a request does not
 * spend a database round trip on its key. Correctness rests on three rules:
 * - Only valid keys are kept; an unknown or revoked key always goes to the database.
 * - The replica that revokes a key forgets it at once, and tells every other replica
 *   (API_KEYS_REVOKED on core NATS), which forgets it on receipt.
 * - Nothing is kept longer than `ttlMs`: should that notification be lost (a NATS outage, a
 *   revocation made outside a gateway), other replicas refuse the key within `ttlMs`.
 */
export class ApiKeyCache {
  private readonly entries = new Map<string, CachedKey & { until: number }>();

  constructor(
    /** How long a replica may serve a key without asking the database. 0 turns caching off. */
    readonly ttlMs: number,
    private readonly maxEntries = 10_000,
  ) {}

  get(hash: string, now = Date.now()): CachedKey | undefined {
    const entry = this.entries.get(hash);
    if (!entry) return undefined;
    if (entry.until <= now) {
      this.entries.delete(hash);
      return undefined;
    }
    return entry;
  }

  set(hash: string, key: CachedKey, now = Date.now()): void {
    if (this.ttlMs <= 0) return;
    // Full (many distinct keys in one TTL): start over rather than track recency.
    if (this.entries.size >= this.maxEntries && !this.entries.has(hash)) this.entries.clear();
    this.entries.set(hash, { ...key, until: now + this.ttlMs });
  }

  /** Drops every entry of these keys (they were revoked). */
  forget(apiKeyIds: Iterable<string>): void {
    const ids = new Set(apiKeyIds);
    for (const [hash, entry] of this.entries) if (ids.has(entry.viewer.apiKeyId)) this.entries.delete(hash);
  }
}

/** Forgets revoked keys here and announces them to the other replicas. */
export async function announceRevokedKeys(
  cache: ApiKeyCache,
  nc: NatsConnection,
  apiKeyIds: readonly string[],
): Promise<void> {
  if (apiKeyIds.length === 0) return;
  cache.forget(apiKeyIds);
  nc.publish(API_KEYS_REVOKED, encodeMessage({ apiKeyIds: [...apiKeyIds] }));
  // Sent before the revoking mutation answers; if NATS is away, the TTL still bounds it.
  await nc.flush().catch(() => {});
}

/** Forgets the keys other replicas revoke, for as long as the subscription lives. */
export function followRevokedKeys(cache: ApiKeyCache, nc: NatsConnection, log: (line: string) => void): Subscription {
  return nc.subscribe(API_KEYS_REVOKED, {
    callback: (error, msg) => {
      if (error) return;
      try {
        cache.forget(parseMessage(apiKeysRevokedSchema, msg.subject, msg.data).apiKeyIds);
      } catch (invalid) {
        log(`gateway: ignored a key revocation notice: ${(invalid as Error).message}`);
      }
    },
  });
}
