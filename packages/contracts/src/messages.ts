import { z } from "zod";
import { runErrorSchema } from "./error-codes.ts";
import { hyperparametersSchema } from "./hyperparameters.ts";
import { idTokenSchema as id } from "./ids.ts";
import { int32Schema } from "./int32.ts";
import { epochMetricsSchema } from "./metrics.ts";
import { BUILTIN_DATASET_KEYS, preprocessingSchema } from "./preprocessing.ts";
import { runProgressSchema } from "./progress.ts";
import { epochEventFast } from "./run-events-fast.ts";
import { TRAINER_STATUSES } from "./statuses.ts";
import { TRAINING_PATHS } from "./training-path.ts";

/**
 * Message schemas for every NATS subject. Receivers validate with `parseMessage` and reject
 * (log, never crash on) anything that does not fit.
 */

const timestamp = z.iso.datetime({ offset: true });

export const datasetSourceSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("BUILTIN"), name: z.enum(BUILTIN_DATASET_KEYS) }),
  z.object({ kind: z.literal("UPLOAD"), artifactKey: z.string().min(1) }),
]);
export type DatasetSource = z.infer<typeof datasetSourceSchema>;

/** A fine-tune assignment on `graft.jobs.<pool>`. Immutable: redeliveries carry the same body. */
export const jobMessageSchema = z.object({
  runId: id,
  projectId: id,
  pool: id,
  /** Id the child model will get; artifacts of the run are keyed by it. */
  outputModelId: id,
  baseModel: z.object({
    id,
    name: z.string(),
    artifactKey: z.string().min(1),
    inputShape: z.array(z.number().int().positive()),
    labels: z.array(z.string()),
    preprocessing: preprocessingSchema,
    /** The base's feature layer (cut point) as recorded at registration; may be null. */
    featureLayer: z.string().nullable(),
  }),
  dataset: z.object({
    id,
    name: z.string(),
    source: datasetSourceSchema,
    labels: z.array(z.string()).min(2),
  }),
  hyperparameters: hyperparametersSchema,
  enqueuedAt: timestamp,
  /**
   * Capability of whoever is delivered this job: it authorizes the run's artifact reads and
   * writes at the gateway and signs the run's events (see `jobClaim`). Only the pool's
   * trainers can read job messages.
   */
  jobToken: z.string().regex(/^[A-Za-z0-9_-]{43}$/),
  /**
   * A fork starts from another run's weights after `epoch`: the gateway copied that checkpoint
   * to the fork's own seed key (`forkSeedKey(runId)`) before sending the job.
   */
  forkedFrom: z
    .object({ runId: id, epoch: z.number().int().min(1) })
    .nullable()
    .default(null),
});
export type JobMessage = z.infer<typeof jobMessageSchema>;

export const layerRecordSchema = z.object({
  name: z.string(),
  className: z.string(),
  /** sha256 (hex) over the layer's weights in manifest order; null for layers without weights. */
  weightHash: z.string().nullable(),
  params: z.number().int().nonnegative(),
  trainable: z.boolean(),
});
export type LayerRecord = z.infer<typeof layerRecordSchema>;

/**
 * Every event carries the attempt (JetStream delivery count of the job) so the gateway can
 * fence off a trainer that lost its job to a redelivery but has not noticed yet.
 */
const eventBase = {
  runId: id,
  attempt: int32Schema.min(1),
  trainerId: id,
  at: timestamp,
  /** `jobClaim(jobToken, runId, attempt, trainerId)`: proves the sender was delivered the job. */
  claim: z.string().regex(/^[0-9a-f]{64}$/),
};

export const runEventSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("assigned"), ...eventBase }),
  z.object({
    type: z.literal("started"),
    ...eventBase,
    backend: z.string(),
    trainingPath: z.enum(TRAINING_PATHS),
    /** Last epoch already stored before this attempt (0 when starting fresh). */
    resumedFromEpoch: int32Schema.min(0),
  }),
  z.object({ type: z.literal("epoch"), ...eventBase, epoch: int32Schema.min(1), metrics: epochMetricsSchema }),
  /** Where the attempt is inside its current phase; at most about once a second, never stored. */
  z.object({ type: z.literal("progress"), ...eventBase, progress: runProgressSchema }),
  z.object({
    type: z.literal("log"),
    ...eventBase,
    level: z.enum(["debug", "info", "warn", "error"]),
    message: z.string().max(10_000),
  }),
  z.object({
    type: z.literal("succeeded"),
    ...eventBase,
    trainingPath: z.enum(TRAINING_PATHS),
    stoppedEarly: z.boolean(),
    outputModel: z.object({
      artifactKey: z.string().min(1),
      sizeBytes: z.number().int().nonnegative(),
      /** sha256 (hex) the artifact store reported for the saved model; recorded in the artifacts table. */
      sha256: z
        .string()
        .regex(/^[0-9a-f]{64}$/)
        .optional(),
      inputShape: z.array(z.number().int().positive()),
      labels: z.array(z.string()),
      featureLayer: z.string(),
      layers: z.array(layerRecordSchema),
      /** Text models: sha256 of the tokenizer stored with the child (inherited from the base). */
      tokenizerSha256: z
        .string()
        .regex(/^[0-9a-f]{64}$/)
        .optional(),
    }),
  }),
  z.object({
    type: z.literal("failed"),
    ...eventBase,
    error: runErrorSchema,
    /** true when no retry is coming: the run ends FAILED. */
    final: z.boolean(),
  }),
  z.object({ type: z.literal("cancelled"), ...eventBase }),
]);
export type RunEvent = z.infer<typeof runEventSchema>;
export type RunEventType = RunEvent["type"];

/** Most events one run-events message may carry. */
export const RUN_EVENT_BATCH_MAX_EVENTS = 500;
/**
 * Most bytes a trainer puts in one batched message (about 130 epoch events): well under the
 * run-events stream's message limit and nats-server's default `max_payload` (1 MiB each), and
 * small enough that the gateway's prefetch of a backlog's messages stays bounded in memory.
 */
export const RUN_EVENT_BATCH_MAX_BYTES = 64 * 1024;

/**
 * Several events of one run attempt from one trainer in one message, oldest first: what a
 * trainer sends when its outbox holds a backlog (NATS was away, epochs finish faster than they
 * are acknowledged, a restart replays). The gateway stores the events of a message together
 * or refuses the message; a message holding one bare `RunEvent` stays valid.
 */
export const runEventBatchSchema = z
  .object({ events: z.array(runEventSchema).min(1).max(RUN_EVENT_BATCH_MAX_EVENTS) })
  .superRefine(({ events }, ctx) => {
    const [first] = events;
    const other = events.findIndex(
      (e) => e.runId !== first?.runId || e.attempt !== first?.attempt || e.trainerId !== first?.trainerId,
    );
    if (other >= 0) {
      ctx.addIssue({
        code: "custom",
        path: ["events", other],
        message: "every event of a batch must name the same run, attempt and trainer",
      });
    }
  });
export type RunEventBatch = z.infer<typeof runEventBatchSchema>;

/** The JSON text of a batch message, from the events' own JSON texts (no re-encoding). */
export const runEventBatchText = (eventTexts: readonly string[]) => `{"events":[${eventTexts.join(",")}]}`;

/**
 * Decodes a message on a run-events subject, a bare event or a batch, into its events;
 * throws InvalidMessageError with the reason.
 */
export function parseRunEvents(subject: string, data: Uint8Array): RunEvent[] {
  const json = decodeJson(subject, data);
  if (typeof json === "object" && json !== null && "events" in json && !("type" in json)) {
    return epochBatchFast(json.events) ?? validated(runEventBatchSchema, subject, json).events;
  }
  const fast = epochEventFast(json, TIMESTAMP_PATTERN);
  return [fast ?? validated(runEventSchema, subject, json)];
}

/**
 * The pattern `timestamp` checks with: zod's own, so the fast path cannot drift from it (were
 * it ever missing, a pattern that matches nothing sends every event through zod).
 */
const TIMESTAMP_PATTERN = timestamp.def.pattern ?? /(?!)/;

/** A batch of epoch events that `runEventBatchSchema` accepts, checked by hand; otherwise undefined (see epochEventFast). */
function epochBatchFast(events: unknown): RunEvent[] | undefined {
  if (!Array.isArray(events) || events.length < 1 || events.length > RUN_EVENT_BATCH_MAX_EVENTS) return undefined;
  const out: RunEvent[] = [];
  for (const value of events) {
    const event = epochEventFast(value, TIMESTAMP_PATTERN);
    const first = out[0] ?? event;
    if (
      !event ||
      event.runId !== first?.runId ||
      event.attempt !== first.attempt ||
      event.trainerId !== first.trainerId
    )
      return undefined;
    out.push(event);
  }
  return out;
}

export const runControlSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("cancel"), runId: id, reason: z.string().max(500).optional() }),
  /** The gateway saw a newer attempt take the run: older attempts stop without reporting. */
  z.object({ type: z.literal("superseded"), runId: id, attempt: z.number().int().min(1) }),
]);
export type RunControl = z.infer<typeof runControlSchema>;

export const trainerControlSchema = z.object({ type: z.enum(["drain", "resume"]), trainerId: id });
export type TrainerControl = z.infer<typeof trainerControlSchema>;

export const heartbeatSchema = z.object({
  trainerId: id,
  at: timestamp,
  status: z.enum(TRAINER_STATUSES),
  currentRuns: z.array(id),
  /** Process resident memory in bytes, for the fleet view. */
  rssBytes: z.number().int().nonnegative(),
  /** Sequence number per trainer process; lets receivers drop reordered heartbeats. */
  seq: z.number().int().nonnegative(),
});
export type Heartbeat = z.infer<typeof heartbeatSchema>;

/** Thrown by `parseMessage`; carries the subject and zod's flattened issues for the log. */
export class InvalidMessageError extends Error {
  override name = "InvalidMessageError";
  constructor(
    readonly subject: string,
    readonly issues: unknown,
    options?: { cause?: unknown },
  ) {
    super(`invalid message on ${subject}: ${JSON.stringify(issues)}`, options);
  }
}

/** Decodes JSON bytes and validates them; throws InvalidMessageError with the reason. */
export function parseMessage<S extends z.ZodType>(schema: S, subject: string, data: Uint8Array): z.infer<S> {
  return validated(schema, subject, decodeJson(subject, data));
}

function decodeJson(subject: string, data: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(data));
  } catch (cause) {
    throw new InvalidMessageError(subject, "not JSON", { cause });
  }
}

function validated<S extends z.ZodType>(schema: S, subject: string, json: unknown): z.infer<S> {
  const result = schema.safeParse(json);
  if (!result.success) throw new InvalidMessageError(subject, z.flattenError(result.error));
  return result.data;
}

export const encodeMessage = (value: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(value));
