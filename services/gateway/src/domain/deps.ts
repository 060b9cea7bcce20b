import type { ArtifactStore } from "@graft/artifacts";
import type { JetStreamOptions, Role, RunProgress, RunStatus } from "@graft/contracts";
import type { Db } from "@graft/db";
import type { JetStreamClient } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import type { SessionPolicy } from "../auth/authenticate.ts";
import type { CredentialFailures } from "../auth/credential-failures.ts";
import type { GuessLimiter } from "../auth/guess-limiter.ts";
import type { ApiKeyCache } from "../auth/key-cache.ts";
import type { TrainerPlane } from "../trainer-plane/trainer-plane.ts";
import type { JobPublisher } from "./job-outbox.ts";

/**
 * What the event plane (src/events) offers the rest of the gateway. Declared here so the
 * domain and resolvers depend on this shape, not on how the events are carried.
 */
export interface EventPlanePort {
  subscribeRunEvents(runId: string): AsyncIterableIterator<unknown>;
  /** Several runs' events in one stream; the first item, `null`, says the feed is live. */
  subscribeRunsEvents(runIds: readonly string[]): AsyncIterableIterator<{ kind: string } | null>;
  subscribeTrainerEvents(): AsyncIterableIterator<{ kind: string; trainerId: string; at: string | Date }>;
  /** A sweep's notices (`publishSweepUpdate`), live, from every replica. */
  subscribeSweepUpdates(sweepId: string): AsyncIterableIterator<{ sweepId: string }>;
  /** Tells every replica's `sweepUpdated` subscribers to re-read the sweep. */
  publishSweepUpdate(sweepId: string, status: string): void;
  /**
   * Tells subscribers that the domain changed a run's status itself (e.g. cancelled while
   * queued): the stored status, or `status` as given, which is handed to NATS before this
   * returns (no read first), so it cannot arrive after a later change's notice.
   */
  publishRunUpdate(runId: string, status?: RunStatusNotice): Promise<void> | void;
  /** The latest progress of the run's current attempt, or null (not stored: see ProgressBoard). */
  progressOf(run: {
    id: string;
    status: RunStatus;
    currentAttempt: number;
  }): (RunProgress & { updatedAt: Date }) | null;
  stop(): Promise<void>;
}

/** A STATUS notice the domain already knows the content of (a run it just stored). */
export interface RunStatusNotice {
  kind: "STATUS";
  runId: string;
  status: RunStatus;
  attempt: number | null;
  message: string | null;
  epoch: null;
  progress: null;
  at: Date;
}

export interface DomainOptions {
  /** Fetch model URLs that resolve to private, loopback or link-local addresses. @default false */
  allowPrivateUrls: boolean;
  /** Largest model download (model.json + shards) in bytes. */
  maxFetchBytes: number;
  /** Time limit of a whole model download. */
  fetchTimeoutMs: number;
  /** A claimed upload whose mutation has not ended after this long is free again (its gateway died). */
  uploadClaimTimeoutMs: number;
}

/** Everything the domain touches, passed explicitly. */
export interface DomainDeps {
  db: Db;
  nc: NatsConnection;
  js: JetStreamClient;
  store: ArtifactStore;
  events: EventPlanePort | null;
  /** Publishes the jobs the domain wrote to the outbox (`enqueueJobs`) once their transaction committed. */
  jobs: Pick<JobPublisher, "publishNow">;
  /** Trainer NATS users, revocations and job tokens. */
  trainerPlane: TrainerPlane;
  /** Stream and consumer settings (the pools' job consumers are made at registration). */
  jetStream: JetStreamOptions;
  log: (line: string) => void;
  options: DomainOptions;
  /** Failed join-token guesses per client address. */
  guesses: GuessLimiter;
  /** How long dashboard sessions last. */
  sessionPolicy: SessionPolicy;
  /** Valid API keys seen recently; a revocation must go through announceRevokedKeys. */
  keyCache: ApiKeyCache;
  /** Unknown, revoked or expired credentials per client address (a login's key included). */
  credentialFailures: CredentialFailures;
}

/** The caller every domain call is scoped to: its project, its key and that key's role. */
export interface Caller {
  projectId: string;
  apiKeyId: string;
  role: Role;
  /** The dashboard session the call came with, if it did. */
  sessionId: string | null;
}

/** Where a request came from, for the limits kept per client address. */
export interface RequestOrigin {
  /** The client's address: the socket's peer, or what a trusted proxy forwarded (auth/client-address.ts). */
  clientAddress: string;
}
