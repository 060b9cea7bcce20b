import {
  type ControlKind,
  type DatasetSource,
  type FreezeStrategy,
  type Initialization,
  type LayerRecord,
  type MetricName,
  type Optimizer,
  type Preprocessing,
  ROLES,
  RUN_STATUSES,
  type RunAttemptStatus,
  type RunError,
  type StudyArm,
  SWEEP_STATUSES,
  TRAINER_STATUSES,
  type TrainingPath,
} from "@graft/contracts";
import {
  type AnyPgColumn,
  bigint,
  boolean,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import type { SortDirection } from "./pagination.ts";

/**
 * The lineage store. Ids are UUIDs made by the database; every row a user can see belongs to
 * a project, except built-in models and datasets (projectId null), which every project sees.
 */

const createdAt = () => timestamp("created_at", { withTimezone: true }).notNull().defaultNow();

export const modelKind = pgEnum("model_kind", ["BASE", "FINE_TUNED"]);
export const runStatus = pgEnum("run_status", RUN_STATUSES);
export const trainerStatus = pgEnum("trainer_status", TRAINER_STATUSES);
export const role = pgEnum("role", ROLES);

export const projects = pgTable("projects", {
  id: uuid("id").primaryKey().defaultRandom(),
  name: text("name").notNull().unique(),
  createdAt: createdAt(),
});

/**
 * API keys are stored as sha256 hashes; `prefix` is shown to people to tell keys apart.
 * `bootstrap` marks the key the gateway made from GRAFT_BOOTSTRAP_KEY (or the local key): when
 * the operator changes it, the gateway revokes the old one.
 */
export const apiKeys = pgTable(
  "api_keys",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    projectId: uuid("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    role: role("role").notNull().default("MEMBER"),
    prefix: text("prefix").notNull(),
    hash: text("hash").notNull(),
    bootstrap: boolean("bootstrap").notNull().default(false),
    createdAt: createdAt(),
    lastUsedAt: timestamp("last_used_at", { withTimezone: true }),
    revokedAt: timestamp("revoked_at", { withTimezone: true }),
  },
  (t) => [uniqueIndex("api_keys_hash_idx").on(t.hash), index("api_keys_project_idx").on(t.projectId)],
);

/** Secrets trainers present to join the fleet; hashed like API keys, with the same lifecycle. */
export const joinTokens = pgTable(
  "join_tokens",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    name: text("name").notNull(),
    prefix: text("prefix").notNull().default(""),
    hash: text("hash").notNull(),
    bootstrap: boolean("bootstrap").notNull().default(false),
    createdAt: createdAt(),
    lastUsedAt: timestamp("last_used_at", { withTimezone: true }),
    revokedAt: timestamp("revoked_at", { withTimezone: true }),
  },
  (t) => [uniqueIndex("join_tokens_hash_idx").on(t.hash)],
);

/**
 * Dashboard logins: an opaque random token (in the browser's cookie) stands for an API key,
 * so the key itself never reaches a cookie. Stored hashed; it ends at `expiresAt`, after
 * being unused for the idle timeout, when revoked (logout), or when its key is revoked.
 */
export const sessions = pgTable(
  "sessions",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    apiKeyId: uuid("api_key_id")
      .notNull()
      .references(() => apiKeys.id, { onDelete: "cascade" }),
    hash: text("hash").notNull(),
    createdAt: createdAt(),
    lastSeenAt: timestamp("last_seen_at", { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    revokedAt: timestamp("revoked_at", { withTimezone: true }),
  },
  (t) => [uniqueIndex("sessions_hash_idx").on(t.hash), index("sessions_api_key_idx").on(t.apiKeyId)],
);

/** Objects in the artifact store, keyed by ids (never by user strings). */
export const artifacts = pgTable(
  "artifacts",
  {
    key: text("key").primaryKey(),
    projectId: uuid("project_id").references(() => projects.id, { onDelete: "cascade" }),
    kind: text("kind").notNull(),
    sizeBytes: bigint("size_bytes", { mode: "number" }).notNull(),
    sha256: text("sha256").notNull(),
    createdAt: createdAt(),
  },
  (t) => [index("artifacts_project_idx").on(t.projectId)],
);

/** Files posted to /uploads, waiting to be turned into a model or dataset. */
export const uploads = pgTable("uploads", {
  id: uuid("id").primaryKey().defaultRandom(),
  projectId: uuid("project_id")
    .notNull()
    .references(() => projects.id, { onDelete: "cascade" }),
  artifactKey: text("artifact_key").notNull(),
  sizeBytes: bigint("size_bytes", { mode: "number" }).notNull(),
  sha256: text("sha256").notNull(),
  createdAt: createdAt(),
  consumedAt: timestamp("consumed_at", { withTimezone: true }),
  /**
   * Set while one mutation holds the upload. A claim older than the gateway's claim timeout
   * is taken to be a gateway that died mid-mutation, and another mutation may claim it again.
   */
  claimedAt: timestamp("claimed_at", { withTimezone: true }),
});

/** A model's layer as stored: the trainer's record of it plus its position. */
export type LayerRow = LayerRecord & { index: number };

export const models = pgTable(
  "models",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    projectId: uuid("project_id").references(() => projects.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    kind: modelKind("kind").notNull(),
    parentId: uuid("parent_id").references((): AnyPgColumn => models.id, { onDelete: "restrict" }),
    /**
     * Root of this model's tree (a base model is its own root); lets a whole tree be read with
     * one indexed lookup. Filled in with `depth` by a trigger on insert, from the parent row.
     */
    rootId: uuid("root_id"),
    depth: integer("depth").notNull().default(0),
    producedByRunId: uuid("produced_by_run_id"),
    architecture: text("architecture").notNull(),
    task: text("task").notNull(),
    inputShape: jsonb("input_shape").$type<number[]>().notNull(),
    labels: jsonb("labels").$type<string[]>().notNull(),
    preprocessing: jsonb("preprocessing").$type<Preprocessing>().notNull(),
    featureLayer: text("feature_layer"),
    layers: jsonb("layers").$type<LayerRow[]>().notNull(),
    paramCount: bigint("param_count", { mode: "number" }).notNull(),
    sizeBytes: bigint("size_bytes", { mode: "number" }).notNull(),
    artifactKey: text("artifact_key").notNull(),
    provenance: jsonb("provenance").$type<Record<string, unknown>>(),
    verifiedLineage: boolean("verified_lineage"),
    /** Why verifiedLineage is what it is, as the gateway found when it re-read the artifact. */
    lineageReason: text("lineage_reason"),
    /**
     * Where a fine-tuned model's training started: PRETRAINED from its parent's weights,
     * SCRATCH from re-initialized ones (the parent gave only its architecture). Null for bases.
     */
    initialization: text("initialization").$type<Initialization>(),
    builtinKey: text("builtin_key"),
    createdAt: createdAt(),
  },
  (t) => [
    index("models_parent_idx").on(t.parentId),
    index("models_root_idx").on(t.rootId),
    index("models_project_created_idx").on(t.projectId, t.createdAt, t.id),
    uniqueIndex("models_builtin_key_idx").on(t.builtinKey),
  ],
);

export const datasets = pgTable(
  "datasets",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    projectId: uuid("project_id").references(() => projects.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    version: integer("version").notNull().default(1),
    task: text("task").notNull(),
    labels: jsonb("labels").$type<string[]>().notNull(),
    classCounts: jsonb("class_counts").$type<number[]>().notNull(),
    sampleCount: integer("sample_count").notNull(),
    sampleShape: jsonb("sample_shape").$type<number[]>().notNull(),
    source: jsonb("source").$type<DatasetSource>().notNull(),
    /** Text datasets: a few sample texts per label (in `labels` order), for previews. */
    sampleTexts: jsonb("sample_texts").$type<string[][]>(),
    sha256: text("sha256"),
    builtinKey: text("builtin_key"),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("datasets_project_name_version_idx").on(t.projectId, t.name, t.version),
    uniqueIndex("datasets_builtin_key_idx").on(t.builtinKey),
  ],
);

export const experiments = pgTable(
  "experiments",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    projectId: uuid("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    description: text("description"),
    objectiveMetric: text("objective_metric").$type<MetricName>().notNull().default("valAccuracy"),
    objectiveDirection: text("objective_direction").$type<SortDirection>().notNull().default("DESC"),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("experiments_project_name_idx").on(t.projectId, t.name)],
);

/**
 * A data-efficiency study: the grid it was asked for (`spec`, the validated input) and, through
 * `runs.study_id`, the runs it expanded to. Its status and results are read from those runs.
 */
export const studies = pgTable(
  "studies",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    projectId: uuid("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    datasetId: uuid("dataset_id")
      .notNull()
      .references(() => datasets.id),
    spec: jsonb("spec").$type<Record<string, unknown>>().notNull(),
    createdAt: createdAt(),
  },
  (t) => [index("studies_project_created_idx").on(t.projectId, t.createdAt, t.id)],
);

export const sweepStatus = pgEnum("sweep_status", SWEEP_STATUSES);

/**
 * A hyperparameter sweep: one base and dataset, a space, a method and ASHA settings (`spec`),
 * and exactly `trial_count` trials (`sweep_trials`, all planned at start). Trials get a run
 * only while fewer than the spec's maxConcurrentTrials are active; this row is locked
 * (SELECT ... FOR UPDATE) by whoever launches trials or judges rungs, so replicas take turns.
 */
export const sweeps = pgTable(
  "sweeps",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    projectId: uuid("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    baseModelId: uuid("base_model_id")
      .notNull()
      .references(() => models.id),
    datasetId: uuid("dataset_id")
      .notNull()
      .references(() => datasets.id),
    pool: text("pool").notNull(),
    status: sweepStatus("status").notNull().default("RUNNING"),
    spec: jsonb("spec").$type<Record<string, unknown>>().notNull(),
    trialCount: integer("trial_count").notNull(),
    /** The succeeded trial with the best final metric, set when the sweep ends. */
    bestRunId: uuid("best_run_id"),
    createdAt: createdAt(),
    finishedAt: timestamp("finished_at", { withTimezone: true }),
  },
  (t) => [
    index("sweeps_project_created_idx").on(t.projectId, t.createdAt, t.id),
    index("sweeps_running_idx").on(t.status),
  ],
);

/**
 * One planned trial: its sampled parameters and full hyperparameters, and once launched its
 * run (unique: a run is one trial). (sweep, trial) is the key, so a sweep never has more
 * trials than it planned, whatever launches them.
 */
export const sweepTrials = pgTable(
  "sweep_trials",
  {
    sweepId: uuid("sweep_id")
      .notNull()
      .references(() => sweeps.id, { onDelete: "cascade" }),
    trial: integer("trial").notNull(),
    params: jsonb("params").$type<Record<string, unknown>>().notNull(),
    hyperparameters: jsonb("hyperparameters").$type<Record<string, unknown>>().notNull(),
    runId: uuid("run_id").references(() => runs.id, { onDelete: "set null" }),
    /** Highest rung the trial was judged at and kept (0: none yet). */
    rungReached: integer("rung_reached").notNull().default(0),
    /** The rung ASHA stopped it at, or null. */
    stoppedAtRung: integer("stopped_at_rung"),
  },
  (t) => [primaryKey({ columns: [t.sweepId, t.trial] }), uniqueIndex("sweep_trials_run_idx").on(t.runId)],
);

export const trainers = pgTable(
  "trainers",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    name: text("name").notNull(),
    host: text("host").notNull(),
    pool: text("pool").notNull(),
    backend: text("backend").notNull(),
    devices: jsonb("devices").$type<string[]>().notNull(),
    labels: jsonb("labels").$type<string[]>().notNull(),
    cpuCount: integer("cpu_count").notNull(),
    memoryBytes: bigint("memory_bytes", { mode: "number" }).notNull(),
    maxConcurrentRuns: integer("max_concurrent_runs").notNull(),
    status: trainerStatus("status").notNull().default("IDLE"),
    tokenHash: text("token_hash").notNull(),
    /** Public nkey of the NATS user minted at the latest registration (revoked on removal or re-registration). */
    natsUserKey: text("nats_user_key"),
    /** Set by removeTrainer: hidden from the fleet, credentials revoked, until it registers again. */
    removedAt: timestamp("removed_at", { withTimezone: true }),
    currentRuns: jsonb("current_runs").$type<string[]>().notNull().default([]),
    lastHeartbeatAt: timestamp("last_heartbeat_at", { withTimezone: true }),
    registeredAt: timestamp("registered_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index("trainers_status_idx").on(t.status),
    // A trainer that restarts (or retries a registration whose answer it lost) keeps its identity.
    uniqueIndex("trainers_host_name_idx").on(t.host, t.name),
  ],
);

export const runs = pgTable(
  "runs",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    projectId: uuid("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    name: text("name"),
    experimentId: uuid("experiment_id").references(() => experiments.id, { onDelete: "set null" }),
    baseModelId: uuid("base_model_id")
      .notNull()
      .references(() => models.id),
    datasetId: uuid("dataset_id")
      .notNull()
      .references(() => datasets.id),
    pool: text("pool").notNull(),
    status: runStatus("status").notNull().default("QUEUED"),
    // Typed columns for what people filter and sort by; the whole document in `hyperparameters`.
    epochs: integer("epochs").notNull(),
    batchSize: integer("batch_size").notNull(),
    optimizer: text("optimizer").$type<Optimizer>().notNull(),
    learningRate: doublePrecision("learning_rate").notNull(),
    freezeStrategy: text("freeze_strategy").$type<FreezeStrategy>().notNull(),
    seed: integer("seed").notNull(),
    hyperparameters: jsonb("hyperparameters").$type<Record<string, unknown>>().notNull(),
    /** Attempt whose events are accepted; events of older attempts are fenced off. */
    currentAttempt: integer("current_attempt").notNull().default(0),
    attemptCount: integer("attempt_count").notNull().default(0),
    trainerId: uuid("trainer_id").references(() => trainers.id, { onDelete: "set null" }),
    trainingPath: text("training_path").$type<TrainingPath>(),
    /** Allocated at start so the trainer can key the child's artifacts by it. */
    outputModelId: uuid("output_model_id").notNull(),
    outputModelCreated: boolean("output_model_created").notNull().default(false),
    error: jsonb("error").$type<RunError>(),
    lastEpoch: integer("last_epoch").notNull().default(0),
    bestValAccuracy: doublePrecision("best_val_accuracy"),
    bestValLoss: doublePrecision("best_val_loss"),
    /**
     * A control arm's main run: the run it is compared against (same dataset, split and seed).
     * Grouping by a column, not by a hyperparameter, so a study's arms can reuse it.
     */
    controlOf: uuid("control_of").references((): AnyPgColumn => runs.id, { onDelete: "cascade" }),
    controlKind: text("control_kind").$type<ControlKind>(),
    /** The study this run is a cell of, and which arm of it (its fraction and seed are in the hyperparameters). */
    studyId: uuid("study_id").references(() => studies.id, { onDelete: "cascade" }),
    studyArm: text("study_arm").$type<StudyArm>(),
    /** A fork: the run whose checkpoint after `forkedFromEpoch` this run started from. */
    forkedFromRunId: uuid("forked_from_run_id").references((): AnyPgColumn => runs.id, { onDelete: "set null" }),
    forkedFromEpoch: integer("forked_from_epoch"),
    queuedAt: timestamp("queued_at", { withTimezone: true }).notNull().defaultNow(),
    assignedAt: timestamp("assigned_at", { withTimezone: true }),
    startedAt: timestamp("started_at", { withTimezone: true }),
    finishedAt: timestamp("finished_at", { withTimezone: true }),
  },
  (t) => [
    index("runs_project_queued_idx").on(t.projectId, t.queuedAt, t.id),
    // Status and experiment filters keep the page order, so a filtered page is one index range scan.
    index("runs_project_status_idx").on(t.projectId, t.status, t.queuedAt, t.id),
    index("runs_experiment_idx").on(t.experimentId, t.queuedAt, t.id),
    index("runs_base_model_idx").on(t.baseModelId),
    index("runs_dataset_idx").on(t.datasetId),
    index("runs_trainer_idx").on(t.trainerId),
    uniqueIndex("runs_output_model_idx").on(t.outputModelId),
    index("runs_control_of_idx").on(t.controlOf),
    index("runs_study_idx").on(t.studyId),
    index("runs_forked_from_idx").on(t.forkedFromRunId),
  ],
);

/** One stored epoch: which run, epoch and attempt, its `EpochMetrics` (one column each), and when it was stored. */
export const runEpochs = pgTable(
  "run_epochs",
  {
    runId: uuid("run_id")
      .notNull()
      .references(() => runs.id, { onDelete: "cascade" }),
    epoch: integer("epoch").notNull(),
    attempt: integer("attempt").notNull(),
    loss: doublePrecision("loss").notNull(),
    accuracy: doublePrecision("accuracy"),
    valLoss: doublePrecision("val_loss"),
    valAccuracy: doublePrecision("val_accuracy"),
    learningRate: doublePrecision("learning_rate").notNull(),
    durationMs: doublePrecision("duration_ms").notNull(),
    samplesPerSecond: doublePrecision("samples_per_second").notNull(),
    trainableParams: bigint("trainable_params", { mode: "number" }).notNull(),
    frozenLayers: integer("frozen_layers").notNull(),
    recordedAt: timestamp("recorded_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // (run, epoch) is the idempotency key of ingest: a redelivered epoch event changes nothing.
    primaryKey({ columns: [t.runId, t.epoch] }),
    // Each run's best epoch by validation accuracy (ties: the earliest), what the runs and
    // compare pages show, is one probe rather than a scan of every epoch of the run.
    index("run_epochs_best_val_accuracy_idx").on(t.runId, t.valAccuracy.desc(), t.epoch),
  ],
);

export const runAttempts = pgTable(
  "run_attempts",
  {
    runId: uuid("run_id")
      .notNull()
      .references(() => runs.id, { onDelete: "cascade" }),
    attempt: integer("attempt").notNull(),
    trainerId: uuid("trainer_id").references(() => trainers.id, { onDelete: "set null" }),
    status: text("status").$type<RunAttemptStatus>().notNull(),
    resumedFromEpoch: integer("resumed_from_epoch").notNull().default(0),
    error: text("error"),
    startedAt: timestamp("started_at", { withTimezone: true }).notNull().defaultNow(),
    endedAt: timestamp("ended_at", { withTimezone: true }),
  },
  (t) => [primaryKey({ columns: [t.runId, t.attempt] })],
);

/**
 * Per-block summary of a run's metrics (min, max and latest value of each), one row per run
 * and block of epochs. The same statement trigger on run_epochs keeps both sizes below; only
 * inserts are summarised: run_epochs rows are never updated.
 */
const epochSummaryColumns = () => ({
  runId: uuid("run_id")
    .notNull()
    .references(() => runs.id, { onDelete: "cascade" }),
  /** floor(epoch / the table's block size) */
  block: integer("block").notNull(),
  lossMin: doublePrecision("loss_min"),
  lossMax: doublePrecision("loss_max"),
  lossLastEpoch: integer("loss_last_epoch"),
  lossLast: doublePrecision("loss_last"),
  accuracyMin: doublePrecision("accuracy_min"),
  accuracyMax: doublePrecision("accuracy_max"),
  accuracyLastEpoch: integer("accuracy_last_epoch"),
  accuracyLast: doublePrecision("accuracy_last"),
  valLossMin: doublePrecision("val_loss_min"),
  valLossMax: doublePrecision("val_loss_max"),
  valLossLastEpoch: integer("val_loss_last_epoch"),
  valLossLast: doublePrecision("val_loss_last"),
  valAccuracyMin: doublePrecision("val_accuracy_min"),
  valAccuracyMax: doublePrecision("val_accuracy_max"),
  valAccuracyLastEpoch: integer("val_accuracy_last_epoch"),
  valAccuracyLast: doublePrecision("val_accuracy_last"),
});

/** 32-epoch blocks: a million-epoch series reduces from ~31k rows instead of a million. */
export const runEpochBlocks = pgTable("run_epoch_blocks", epochSummaryColumns(), (t) => [
  primaryKey({ columns: [t.runId, t.block] }),
]);

/**
 * 256-epoch blocks (eight of the above): a million-epoch series drawn in 2,000 points
 * reduces from ~3.9k rows, which PGlite aggregates in a fraction of the 31k rows' time.
 */
export const runEpochSuperblocks = pgTable("run_epoch_superblocks", epochSummaryColumns(), (t) => [
  primaryKey({ columns: [t.runId, t.block] }),
]);

/**
 * NATS users the gateway revoked (removed or re-registered trainers). The GRAFT account JWT
 * the gateway pushes to nats-server lists every one, so a restart of either keeps them out.
 */
export const natsRevocations = pgTable("nats_revocations", {
  publicKey: text("public_key").primaryKey(),
  trainerId: uuid("trainer_id").references(() => trainers.id, { onDelete: "set null" }),
  revokedAt: timestamp("revoked_at", { withTimezone: true }).notNull().defaultNow(),
});

/**
 * Run events the gateway did not apply: REFUSED (the sender does not hold the attempt or cannot
 * prove it) or DEAD_LETTER (applying failed on every delivery). Ids come from the message as
 * given, so they are text, not references.
 */
export const eventDrops = pgTable(
  "event_drops",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    kind: text("kind").$type<"REFUSED" | "DEAD_LETTER">().notNull(),
    subject: text("subject").notNull(),
    runId: text("run_id"),
    trainerId: text("trainer_id"),
    eventType: text("event_type"),
    attempt: integer("attempt"),
    reason: text("reason").notNull(),
    at: timestamp("at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("event_drops_at_idx").on(t.at), index("event_drops_trainer_at_idx").on(t.trainerId, t.at)],
);

/**
 * Per-key request counters shared by every gateway replica (rate-limiter-flexible's
 * RateLimiterDrizzle layout): `points` used in the window that ends at `expire`.
 */
export const rateLimits = pgTable("rate_limits", {
  key: text("key").primaryKey(),
  points: integer("points").notNull().default(0),
  expire: timestamp("expire", { withTimezone: true }),
});

/**
 * Slots held by work in flight (uploads streaming) on any gateway replica, counted per
 * `holder` (e.g. `upload:<api key id>`). A slot expires on its own, so a replica that dies
 * mid-upload frees it after the lease.
 */
export const workLeases = pgTable(
  "work_leases",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    holder: text("holder").notNull(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
  },
  (t) => [index("work_leases_holder_idx").on(t.holder, t.expiresAt)],
);

/**
 * The transactional outbox of job publishes: a run's job is written here in the run's own
 * transaction and deleted once JetStream acknowledged it, so no run stays QUEUED without a job
 * because the gateway died (or NATS was away) between its commit and the publish.
 */
export const jobOutbox = pgTable(
  "job_outbox",
  {
    runId: uuid("run_id")
      .primaryKey()
      .references(() => runs.id, { onDelete: "cascade" }),
    /** The JobMessage without its `jobToken` (a capability, derived again at publish, never stored). */
    message: jsonb("message").$type<Record<string, unknown>>().notNull(),
    /** Publishes the server refused; past the publisher's limit the run fails (DISPATCH_FAILED). */
    tries: integer("tries").notNull().default(0),
    /** Not taken before then: a publisher holds it (a lease) or it waits for its retry. */
    nextTryAt: timestamp("next_try_at", { withTimezone: true }).notNull().defaultNow(),
    lastError: text("last_error"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("job_outbox_next_try_idx").on(t.nextTryAt)],
);
