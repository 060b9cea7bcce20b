import { randomUUID } from "node:crypto";
import { encodeMessage, ensureJobsConsumer, trainerControlSubject, trainerUpdatesSubject } from "@graft/contracts";
import { joinTokens, trainers } from "@graft/db";
import { jetstreamManager } from "@nats-io/jetstream";
import { and, eq, isNull, sql } from "drizzle-orm";
import { generateSecret, hashSecret, isSecretShaped, TRAINER_TOKEN_PREFIX } from "../../auth/secrets.ts";
import { requireAdmin } from "../access.ts";
import type { Caller, DomainDeps, RequestOrigin } from "../deps.ts";
import { BadUserInputError, ConflictError, NotFoundError, UnauthenticatedError } from "../errors.ts";
import { checkId } from "../ids.ts";
import { checkName, checkPool } from "../input.ts";
import type { TrainerRow } from "../rows.ts";

export interface RegisterTrainerInput {
  joinToken: string;
  name: string;
  host: string;
  pool?: string | null;
  backend: string;
  devices: readonly string[];
  labels?: readonly string[] | null;
  cpuCount: number;
  memoryBytes: number;
  maxConcurrentRuns?: number | null;
  previousTrainerToken?: string | null;
}

export class TrainerCommands {
  constructor(
    private readonly deps: DomainDeps,
    private readonly caller: Caller | null,
    private readonly origin: RequestOrigin,
  ) {}

  /**
   * Joins the fleet with a join token (no API key); the token given back is shown once. An
   * address that keeps presenting wrong join tokens is refused for a while (RATE_LIMITED).
   */
  async register(
    input: RegisterTrainerInput,
  ): Promise<{ trainer: TrainerRow; trainerToken: string; natsCredentials: string }> {
    await this.deps.guesses.check(this.origin.clientAddress);
    const [token] = isSecretShaped(input.joinToken)
      ? await this.deps.db
          .update(joinTokens)
          .set({ lastUsedAt: new Date() })
          .where(and(eq(joinTokens.hash, hashSecret(input.joinToken)), isNull(joinTokens.revokedAt)))
          .returning({ id: joinTokens.id })
      : [];
    if (!token) {
      await this.deps.guesses.failed(this.origin.clientAddress);
      throw new UnauthenticatedError("invalid join token");
    }
    const pool = checkPool(input.pool, "input.pool");
    const maxConcurrentRuns = input.maxConcurrentRuns ?? 1;
    if (!Number.isInteger(maxConcurrentRuns) || maxConcurrentRuns < 1 || maxConcurrentRuns > 64) {
      throw new BadUserInputError("input.maxConcurrentRuns", "input.maxConcurrentRuns must be between 1 and 64");
    }
    if (!Number.isInteger(input.cpuCount) || input.cpuCount < 1) {
      throw new BadUserInputError("input.cpuCount", "input.cpuCount must be a positive integer");
    }
    if (!Number.isFinite(input.memoryBytes) || input.memoryBytes < 0) {
      throw new BadUserInputError("input.memoryBytes", "input.memoryBytes must be a non-negative number");
    }
    const list = (values: readonly string[], field: string) => {
      if (values.length > 64) throw new BadUserInputError(field, `${field} has more than 64 entries`);
      return values.map((v, i) => checkName(v, `${field}.${i}`));
    };
    const trainerToken = generateSecret(TRAINER_TOKEN_PREFIX);
    const name = checkName(input.name, "input.name");
    const host = checkName(input.host, "input.host");
    const [previous] = await this.deps.db
      .select({
        id: trainers.id,
        natsUserKey: trainers.natsUserKey,
        tokenHash: trainers.tokenHash,
        status: trainers.status,
        removedAt: trainers.removedAt,
      })
      .from(trainers)
      .where(and(eq(trainers.host, host), eq(trainers.name, name)));
    // Host and name are only claims: a live node is replaced only by whoever holds its token.
    if (previous && previous.removedAt === null && previous.status !== "OFFLINE") {
      const presented = input.previousTrainerToken;
      const proven = presented && isSecretShaped(presented) && hashSecret(presented) === previous.tokenHash;
      if (!proven) {
        throw new ConflictError(
          `a live trainer is registered as ${name} on ${host}: present its previousTrainerToken, or wait until it is OFFLINE, or remove it`,
        );
      }
    }
    // The pool's consumer is the gateway's to make: trainers hold no JetStream admin rights.
    // Made only once the registration is accepted: a refused takeover, retried by its trainer
    // every few seconds, costs no JetStream call.
    await ensureJobsConsumer(await jetstreamManager(this.deps.nc), pool, this.deps.jetStream);
    const trainerId = previous?.id ?? randomUUID();
    const user = await this.deps.trainerPlane.mintTrainerUser(trainerId, pool);
    const [trainer] = await this.deps.db
      .insert(trainers)
      .values({
        id: trainerId,
        name,
        host,
        pool,
        backend: checkName(input.backend, "input.backend"),
        devices: list(input.devices, "input.devices"),
        labels: list(input.labels ?? [], "input.labels"),
        cpuCount: input.cpuCount,
        memoryBytes: Math.round(input.memoryBytes),
        maxConcurrentRuns,
        tokenHash: hashSecret(trainerToken),
        natsUserKey: user.publicKey,
        lastHeartbeatAt: new Date(),
      })
      // Same host and name = the same node coming back: keep its id, refresh the rest.
      .onConflictDoUpdate({
        target: [trainers.host, trainers.name],
        set: {
          pool: sql`excluded.pool`,
          backend: sql`excluded.backend`,
          devices: sql`excluded.devices`,
          labels: sql`excluded.labels`,
          cpuCount: sql`excluded.cpu_count`,
          memoryBytes: sql`excluded.memory_bytes`,
          maxConcurrentRuns: sql`excluded.max_concurrent_runs`,
          tokenHash: sql`excluded.token_hash`,
          natsUserKey: sql`excluded.nats_user_key`,
          removedAt: null,
          status: "IDLE",
          currentRuns: [],
          lastHeartbeatAt: sql`excluded.last_heartbeat_at`,
        },
      })
      .returning();
    if (!trainer) throw new Error("insert into trainers returned nothing");
    if (trainer.id !== trainerId) throw new Error("a trainer registered under the same host and name at once; retry");
    // The node came back (or retried): the user minted for its previous registration is dead.
    if (previous?.natsUserKey) await this.deps.trainerPlane.revoke([{ publicKey: previous.natsUserKey, trainerId }]);
    this.announce(trainer.id, "REGISTERED");
    return { trainer, trainerToken, natsCredentials: user.creds };
  }

  /**
   * Removes a trainer (ADMIN): its NATS user is revoked at once (its connection closes, its
   * next publish or reconnect is refused), it leaves the fleet list, and the jobs it held come
   * back to the pool after their ack wait. Registering again makes it a member anew.
   */
  async remove(id: string): Promise<TrainerRow> {
    requireAdmin(this.caller);
    const trainerId = checkId("trainer", id);
    const [trainer] = await this.deps.db
      .update(trainers)
      .set({ status: "OFFLINE", removedAt: new Date(), currentRuns: [] })
      .where(and(eq(trainers.id, trainerId), isNull(trainers.removedAt)))
      .returning();
    if (!trainer) throw new NotFoundError("trainer", id);
    if (trainer.natsUserKey) await this.deps.trainerPlane.revoke([{ publicKey: trainer.natsUserKey, trainerId }]);
    this.announce(trainerId, "STATUS_CHANGED");
    return trainer;
  }

  /** Stops a trainer taking new jobs; it finishes what it runs. ADMIN only: the fleet is shared. */
  async drain(id: string): Promise<TrainerRow> {
    requireAdmin(this.caller);
    const trainerId = checkId("trainer", id);
    const [trainer] = await this.deps.db
      .update(trainers)
      .set({ status: "DRAINING" })
      .where(and(eq(trainers.id, trainerId), isNull(trainers.removedAt)))
      .returning();
    if (!trainer) throw new NotFoundError("trainer", id);
    this.deps.nc.publish(trainerControlSubject(trainerId), encodeMessage({ type: "drain", trainerId }));
    this.announce(trainerId, "STATUS_CHANGED");
    return trainer;
  }

  private announce(trainerId: string, kind: "REGISTERED" | "STATUS_CHANGED") {
    this.deps.nc.publish(
      trainerUpdatesSubject(trainerId),
      encodeMessage({ kind, trainerId, at: new Date().toISOString() }),
    );
  }
}
