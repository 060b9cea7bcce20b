import { createHmac } from "node:crypto";
import { deriveJobToken, jobClaim, type RunEvent, sameSecret, trainerPermissions } from "@graft/contracts";
import { type Db, natsRevocations } from "@graft/db";
import type { NatsAuth } from "@graft/natsd";
import { createUser, encodeAccount, encodeUser, fmtCreds, fromSeed } from "@nats-io/jwt";
import { connect, credsAuthenticator, type NatsConnection } from "@nats-io/transport-node";

const enc = (text: string) => new TextEncoder().encode(text);

/** nats-server refused an account update (revocations did not take effect). */
export class ClaimsUpdateError extends Error {
  override name = "ClaimsUpdateError";
}

/**
 * The gateway's side of trainer identity: it mints each trainer's NATS user, revokes users by
 * pushing a new GRAFT account JWT, and derives the per-run job tokens trainers prove
 * themselves with. Holds the operator and account seeds: the gateway is the trust root.
 */
export class TrainerPlane {
  private readonly jobTokenSecret: string;
  private system: NatsConnection | undefined;

  constructor(
    private readonly auth: NatsAuth,
    private readonly natsUrl: string,
    private readonly db: Db,
  ) {
    this.jobTokenSecret = jobTokenSecret(auth);
  }

  /** A new NATS user for a trainer: its `.creds` text and public key (to revoke it later). */
  async mintTrainerUser(trainerId: string, pool: string): Promise<{ creds: string; publicKey: string }> {
    const user = createUser();
    const { pub, sub } = trainerPermissions(trainerId, pool);
    const jwt = await encodeUser(`trainer-${trainerId}`, user, enc(this.auth.accountSeed), {
      pub: { allow: pub, deny: [] },
      sub: { allow: sub, deny: [] },
    });
    return { creds: new TextDecoder().decode(fmtCreds(jwt, user)), publicKey: user.getPublicKey() };
  }

  jobToken(runId: string): string {
    return deriveJobToken(this.jobTokenSecret, runId);
  }

  /** True when the event's claim was made with its run's job token for its attempt and sender. */
  verifyClaim(event: RunEvent): boolean {
    const expected = jobClaim(this.jobToken(event.runId), event);
    return sameSecret(expected, event.claim);
  }

  /** True when `token` is the job token of `runId`. */
  verifyJobToken(runId: string, token: string): boolean {
    return sameSecret(this.jobToken(runId), token);
  }

  /**
   * Records the keys as revoked and pushes the GRAFT account JWT listing every revocation to
   * nats-server: connections of those users are closed and they cannot connect again.
   */
  async revoke(keys: { publicKey: string; trainerId: string | null }[]): Promise<void> {
    if (keys.length > 0) await this.db.insert(natsRevocations).values(keys).onConflictDoNothing();
    await this.pushRevocations();
  }

  /** Sends nats-server the account JWT with the stored revocations (at start, and after each revoke). */
  async pushRevocations(): Promise<void> {
    const rows = await this.db.select().from(natsRevocations);
    const revocations: Record<string, number> = {};
    // A revocation covers JWTs issued up to its time; +1 s so one minted in the same second is covered.
    for (const r of rows) revocations[r.publicKey] = Math.floor(r.revokedAt.getTime() / 1000) + 1;
    const account = fromSeed(enc(this.auth.accountSeed));
    const template = decodeClaims(this.auth.accountJwt);
    const jwt = await encodeAccount(
      template.name ?? "GRAFT",
      account,
      { ...(template.nats ?? {}), revocations },
      { signer: enc(this.auth.operatorSeed) },
    );
    const system = await this.systemConnection();
    const reply = await system.request("$SYS.REQ.CLAIMS.UPDATE", enc(jwt), { timeout: 5_000 });
    const answer = reply.json<{ error?: { description?: string }; data?: unknown }>();
    if (answer.error)
      throw new ClaimsUpdateError(`nats-server refused the account update: ${answer.error.description}`);
  }

  private async systemConnection(): Promise<NatsConnection> {
    if (!this.system || this.system.isClosed()) {
      this.system = await connect({
        servers: this.natsUrl,
        name: "graft-gateway-system",
        maxReconnectAttempts: -1,
        authenticator: credsAuthenticator(enc(this.auth.systemCreds)),
      });
    }
    return this.system;
  }

  async close(): Promise<void> {
    await this.system?.close().catch(() => undefined);
  }
}

/** A key for job tokens of its own, derived so every replica sharing the auth file agrees on it. */
const jobTokenSecret = (auth: NatsAuth) =>
  createHmac("sha256", auth.accountSeed).update("graft job tokens v1").digest("hex");

/** The job token a gateway holding `auth` gives run `runId` (tests that play a trainer). */
export const jobTokenFor = (auth: NatsAuth, runId: string) => deriveJobToken(jobTokenSecret(auth), runId);

function decodeClaims(jwt: string): { name?: string; nats?: Record<string, unknown> } {
  const [, payload] = jwt.split(".");
  return JSON.parse(Buffer.from(payload ?? "", "base64url").toString("utf8"));
}
