import { modelArtifactKey } from "@graft/artifacts";
import {
  ENDED_RUN_ATTEMPT_STATUSES,
  type EpochRecord,
  type Initialization,
  isUuid,
  type RunEvent,
  type RunStatus,
  type RunUpdate,
  TERMINAL_RUN_STATUSES,
} from "@graft/contracts";
import {
  artifacts,
  type Db,
  models,
  oneMessageTransaction,
  pipelinedTransaction,
  runAttempts,
  runEpochs,
  runs,
} from "@graft/db";
import { eq, getTableColumns, type SQL, sql } from "drizzle-orm";
import { toLayerRows } from "./lineage.ts";
import { type AttemptState, applyEvent, type RunContext, type RunState } from "./run-state.ts";
import { judgeLineage, type OutputCheck } from "./verify-output.ts";

/** What happened to each event of a batch, in input order. `refused`: not from the attempt's holder. */
export type Verdict = { stored: true } | { stored: false; reason: string; unknownRun?: boolean; refused?: boolean };

export interface BatchResult {
  verdicts: Verdict[];
  /** Notifications for subscribers: only events that were stored and passed the fence, in order. */
  updates: RunUpdate[];
  /** Runs a newer attempt took over in this batch, each once with its newest attempt: older attempts' holders are told to stop. */
  superseded: { runId: string; attempt: number }[];
  /**
   * Runs that had already ended when an event of this batch reported work on them (a job of a
   * cancelled run taken from the queue before its removal, a redelivered job of a finished
   * run), each once: whoever holds them is told to stop instead of training for nothing.
   */
  ended: { runId: string; status: RunStatus }[];
}

/** Reads a run's output back from the object store (see verify-output.ts). */
export type OutputChecker = (key: string, claimed: SucceededEvent["outputModel"]) => Promise<OutputCheck>;

/** The transaction's connection (see pipelinedTransaction). */
type Tx = Db;
type SucceededEvent = Extract<RunEvent, { type: "succeeded" }>;
type EpochEvent = Extract<RunEvent, { type: "epoch" }>;
type ProgressEvent = Extract<RunEvent, { type: "progress" }>;

interface RunMeta {
  projectId: string;
  name: string | null;
  baseModelId: string;
  datasetId: string;
  outputModelId: string;
  outputModelCreated: boolean;
  /** How the run's training started (hyperparameters.initialization); the child's lineage says so. */
  initialization: Initialization;
  /** The run froze every base layer for all its epochs (ALL_BASE, no unfreeze schedule), as stored at its start. */
  everyBaseLayerFrozen: boolean;
}

/**
 * Persists a batch of validated run events in one transaction. The batch's runs are locked
 * (in id order, so replicas never deadlock), events are applied through the fenced state
 * machine, epochs go in with one multi-row INSERT ... ON CONFLICT DO NOTHING. The locking read
 * goes out with BEGIN and the insert with COMMIT (pipelinedTransaction): a batch of epochs is
 * two round trips on PostgreSQL.
 */
export async function applyBatch(
  db: Db,
  events: readonly RunEvent[],
  checkOutput: OutputChecker,
  now = new Date(),
  runStates?: RunStates,
): Promise<BatchResult> {
  const runIds = [...new Set(events.map((e) => e.runId).filter(isUuid))].sort();
  if (runIds.length === 0) return { verdicts: events.map(unknownRun), updates: [], superseded: [], ended: [] };
  // The transaction holds only what must be in it; the announcements are built once it has
  // committed, so that JS work overlaps nothing that holds the runs' locks or the connection.
  const { value: applied, lastRows } = await pipelinedTransaction(db, lockRuns(runIds, events), async (tx, locked) => {
    const { contexts, metas, knownTrainers } = readLockedRuns(locked);
    const trainer = (id: string) => (knownTrainers.has(id.toLowerCase()) ? id.toLowerCase() : null);
    const applied = applyEvents(events, contexts, trainer, now);
    // What the next batches may plan on (see RunStates): the state this batch leaves its runs in.
    for (const ctx of contexts.values()) runStates?.remember(ctx);

    // One statement each for every run and attempt the batch moved (a batch of new runs used to
    // spend two round trips per run here). They touch other columns than the epochs' insert and
    // its run summaries, so going before it changes nothing but lets the insert ride with COMMIT.
    await writeRuns(tx, [...contexts.values()]);
    await writeAttempts(tx, [...contexts.values()]);
    for (const event of applied.succeeded) {
      const ctx = contexts.get(event.runId.toLowerCase());
      const meta = metas.get(event.runId.toLowerCase());
      if (ctx && meta && !meta.outputModelCreated) await createChildModel(tx, ctx.run, meta, event, checkOutput);
    }
    const last = insertEpochs([...applied.epochRows.values()]);
    return { value: applied, ...(last ? { last } : {}) };
  });
  return announce(applied, lastRows);
}

/**
 * A batch planned to run ahead of the ones before it (`planAhead`): its events applied to the
 * states in `RunStates`, and what of those states its verdicts rest on, for each run and attempt
 * it names: `commitAhead` checks it under lock.
 */
export interface AheadPlan {
  runIds: string[];
  expected: ExpectedAttempt[];
  applied: Applied;
}

interface ExpectedAttempt {
  runId: string;
  status: RunStatus;
  currentAttempt: number;
  attempt: number;
  attemptStatus: AttemptState["status"];
  holder: string;
}

/**
 * Plans a batch that needs nothing from the database to be applied: every event is stored
 * (epochs, logs, progress of the open current attempt of a run that is not over, from that
 * attempt's holder), no run or attempt changes, and every run's state is known from
 * `runStates`. Such a batch is one transaction of one round trip (`commitAhead`), which may go
 * out while the batch before it still writes. Undefined when the batch is not such a batch.
 */
export function planAhead(events: readonly RunEvent[], runStates: RunStates, now = new Date()): AheadPlan | undefined {
  const contexts = new Map<string, RunContext>();
  for (const event of events) {
    const id = event.runId.toLowerCase();
    if (contexts.has(id)) continue;
    const context = isUuid(id) ? runStates.context(id) : undefined;
    if (!context) return undefined;
    contexts.set(id, context);
  }
  // What the verdicts rest on, taken before the events are applied: an attempt whose holder is
  // not recorded yet would take one from the trainers table (a change), so only attempts with
  // a holder are planned, and no trainer lookup is needed.
  const expected = new Map<string, ExpectedAttempt>();
  for (const event of events) {
    const ctx = contexts.get(event.runId.toLowerCase());
    const attempt = ctx?.attempts.get(event.attempt);
    if (!ctx || !attempt?.trainerId) return undefined;
    expected.set(`${ctx.run.id}:${attempt.attempt}`, {
      runId: ctx.run.id,
      status: ctx.run.status,
      currentAttempt: ctx.run.currentAttempt,
      attempt: attempt.attempt,
      attemptStatus: attempt.status,
      holder: attempt.trainerId,
    });
  }
  const applied = applyEvents(events, contexts, () => null, now);
  const changed = [...contexts.values()].some((ctx) => ctx.runChanged || ctx.changedAttempts.size > 0);
  if (
    changed ||
    applied.epochRows.size === 0 ||
    applied.succeeded.length > 0 ||
    applied.superseded.size > 0 ||
    applied.ended.size > 0 ||
    applied.verdicts.some((v) => !v.stored)
  )
    return undefined;
  return { runIds: [...contexts.keys()].sort(), expected: [...expected.values()], applied };
}

/**
 * Writes a planned batch in one message: BEGIN, lock its runs, insert its epochs only if every
 * run and attempt is still as planned (the insert's snapshot is taken after the locks are held,
 * so it sees whatever committed before), COMMIT. Undefined when one had moved: nothing was
 * written, and the batch must go the ordinary way (`applyBatch`).
 */
export async function commitAhead(db: Db, plan: AheadPlan): Promise<BatchResult | undefined> {
  const [, rows = []] = await oneMessageTransaction(db, [
    sql`SELECT r.id FROM runs r WHERE r.id IN (${uuidList(plan.runIds)}) ORDER BY r.id FOR UPDATE`,
    insertEpochs([...plan.applied.epochRows.values()], plan.expected) as SQL,
  ]);
  if (rows.some((row) => row.stale === true)) return undefined;
  return announce(plan.applied, rows);
}

/** What applying a batch's events to its runs' contexts gave, before anything is written. */
interface Applied {
  contexts: Map<string, RunContext>;
  verdicts: Verdict[];
  pending: Pending[];
  epochRows: Map<string, NewEpochRow>;
  succeeded: SucceededEvent[];
  /** Per run, the newest attempt that took over in this batch: it tells every older holder to stop. */
  superseded: Map<string, number>;
  /** The newest progress event per run: a batch that caught up on several announces only the last. */
  progress: Map<string, ProgressEvent>;
  ended: Map<string, RunStatus>;
}

/** Runs the events through the fenced state machine, in order, on the given contexts. */
function applyEvents(
  events: readonly RunEvent[],
  contexts: Map<string, RunContext>,
  trainer: (id: string) => string | null,
  now: Date,
): Applied {
  const applied: Applied = {
    contexts,
    verdicts: [],
    pending: [],
    epochRows: new Map(),
    succeeded: [],
    superseded: new Map(),
    progress: new Map(),
    ended: new Map(),
  };
  const { verdicts, pending, epochRows, superseded, progress, ended } = applied;
  for (const event of events) {
    const ctx = isUuid(event.runId) ? contexts.get(event.runId.toLowerCase()) : undefined;
    if (!ctx) {
      verdicts.push(unknownRun());
      continue;
    }
    const attemptBefore = ctx.run.currentAttempt;
    if (TERMINAL_RUN_STATUSES.has(ctx.run.status) && REPORTS_WORK.has(event.type))
      ended.set(ctx.run.id, ctx.run.status);
    const outcome = applyEvent(ctx, event, trainer, now);
    if (outcome.kind === "dropped") {
      verdicts.push({ stored: false, reason: outcome.reason, ...(outcome.refused ? { refused: true } : {}) });
      continue;
    }
    if (ctx.run.currentAttempt > attemptBefore && attemptBefore > 0) {
      superseded.set(ctx.run.id, ctx.run.currentAttempt);
    }
    verdicts.push(STORED);
    if (outcome.kind === "epoch" && event.type === "epoch") {
      const key = `${ctx.run.id}:${event.epoch}`;
      if (!epochRows.has(key)) epochRows.set(key, epochRow(ctx.run.id, event));
      pending.push({ update: runUpdate(ctx.run, event, "EPOCH", null), epochKey: key });
    } else if (outcome.kind === "applied" && outcome.announce) {
      pending.push({ update: runUpdate(ctx.run, event, outcome.announce, outcome.message) });
    }
    if (event.type === "succeeded" && outcome.kind === "applied") applied.succeeded.push(event);
    if (outcome.kind === "progress" && event.type === "progress") {
      const newest = progress.get(ctx.run.id);
      if (
        !newest ||
        newest.attempt < event.attempt ||
        (newest.attempt === event.attempt && Date.parse(newest.at) <= Date.parse(event.at))
      )
        progress.set(ctx.run.id, event);
    }
  }
  return applied;
}

/** The batch's result once committed: what to announce, from the rows the epochs' insert returned. */
function announce(
  { contexts, verdicts, pending, epochRows, progress, superseded, ended }: Applied,
  lastRows: Record<string, unknown>[],
): BatchResult {
  const inserted = insertedStamps(lastRows);

  // Each stored epoch is announced once: a duplicate (redelivery, second Nats-Msg-Id) is silent.
  const announced = new Set<string>();
  const updates: RunUpdate[] = [];
  for (const p of pending) {
    if (p.epochKey === undefined) {
      updates.push(p.update);
      continue;
    }
    const recordedAt = inserted.get(p.epochKey);
    const row = epochRows.get(p.epochKey);
    if (recordedAt === undefined || !row || announced.has(p.epochKey)) continue;
    announced.add(p.epochKey);
    p.update.epoch = epochPayload(row, recordedAt);
    updates.push(p.update);
  }
  // Progress goes last and only if the attempt it describes is still the run's open one once
  // the whole batch is applied (the batch may also hold its end).
  for (const event of progress.values()) {
    const ctx = contexts.get(event.runId.toLowerCase());
    const attempt = ctx?.attempts.get(event.attempt);
    if (!ctx || !attempt || ctx.run.currentAttempt !== event.attempt) continue;
    if (TERMINAL_RUN_STATUSES.has(ctx.run.status) || ENDED_RUN_ATTEMPT_STATUSES.has(attempt.status)) continue;
    updates.push({
      kind: "PROGRESS",
      runId: ctx.run.id,
      status: ctx.run.status,
      attempt: event.attempt,
      epoch: null,
      message: null,
      progress: event.progress,
      at: event.at,
    });
  }
  return {
    verdicts,
    updates,
    superseded: [...superseded].map(([runId, attempt]) => ({ runId, attempt })),
    ended: [...ended].map(([runId, status]) => ({ runId, status })),
  };
}

/**
 * The state this process's last transaction on each run left it in, for batches that can be
 * applied without reading it again (`planAhead`). It may be out of date (a cancel, another
 * replica's ingest, a transaction that rolled back): `commitAhead` checks what a plan rests on
 * against the rows under lock. Bounded: past `capacity` runs it starts over.
 */
export class RunStates {
  readonly #runs = new Map<string, { run: RunState; attempts: AttemptState[] }>();
  constructor(private readonly capacity = 10_000) {}

  remember(ctx: RunContext): void {
    if (this.#runs.size >= this.capacity && !this.#runs.has(ctx.run.id)) this.#runs.clear();
    // Copies: the state machine changes the contexts it is given.
    this.#runs.set(ctx.run.id, { run: { ...ctx.run }, attempts: [...ctx.attempts.values()].map((a) => ({ ...a })) });
  }

  forget(runId: string): void {
    this.#runs.delete(runId);
  }

  /** A fresh context to apply events to (a copy). */
  context(runId: string): RunContext | undefined {
    const known = this.#runs.get(runId);
    if (!known) return undefined;
    return {
      run: { ...known.run },
      attempts: new Map(known.attempts.map((a) => [a.attempt, { ...a }])),
      runChanged: false,
      changedAttempts: new Set(),
    };
  }
}

/** An update waiting for the commit; an epoch's is announced only if its row was inserted (its `epoch` is set then). */
type Pending = { update: RunUpdate; epochKey?: string };

const runUpdate = (run: RunState, event: RunEvent, kind: RunUpdate["kind"], message: string | null): RunUpdate => ({
  kind,
  runId: run.id,
  status: run.status,
  attempt: event.attempt,
  epoch: null,
  message,
  progress: null,
  at: event.at,
});

/** Events a trainer sends while it works on a run (not the ones that end it). */
const REPORTS_WORK: ReadonlySet<RunEvent["type"]> = new Set(["assigned", "started", "epoch", "progress"]);

const unknownRun = (): Verdict => ({ stored: false, reason: "no such run", unknownRun: true });

/** The verdict of most events, shared: one object per event was measurable garbage. */
const STORED: Verdict = Object.freeze({ stored: true });

/** An attempt row as json_build_object writes it: timestamps as ISO 8601 text. */
type AttemptJson = Omit<AttemptState, "startedAt" | "endedAt"> & { startedAt: string; endedAt: string | null };

/**
 * A locked run as lockRuns reads it: one JSON document per run (timestamps as ISO 8601 text),
 * with RunMeta's columns as stored (initialization as text, the freeze as its two parts).
 */
interface LockedRunJson extends Omit<RunMeta, "initialization" | "everyBaseLayerFrozen"> {
  id: string;
  status: RunState["status"];
  currentAttempt: number;
  attemptCount: number;
  trainerId: string | null;
  trainingPath: RunState["trainingPath"];
  assignedAt: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  error: RunState["error"];
  initialization: string | null;
  freezeStrategy: string | null;
  unfreezeSteps: number;
  attempts: AttemptJson[];
}

/** UUIDs as a comma-separated SQL list (anything else is left out). */
const uuidList = (ids: readonly string[]) =>
  sql.join(
    ids.filter(isUuid).map((id) => sql`${id}`),
    sql`, `,
  );

/**
 * Locks the batch's runs (in id order) and reads them with their attempts, and which of the
 * events' trainers are registered, in one statement (the trainers as an uncorrelated subquery,
 * evaluated once). Each run comes as one JSON text, read the same on both drivers. Only the
 * columns the state machine and a child model need: a run row also holds its hyperparameters
 * (JSON), of which two keys are read here rather than the whole document. Trainers matter only
 * for events of a run that exists. The ids are UUIDs (checked by the caller and here).
 */
function lockRuns(runIds: string[], events: readonly RunEvent[]): SQL {
  const trainerIds = [...new Set(events.map((e) => e.trainerId.toLowerCase()).filter(isUuid))];
  return sql`
    SELECT json_build_object(
        'id', r.id, 'status', r.status, 'currentAttempt', r.current_attempt, 'attemptCount', r.attempt_count,
        'trainerId', r.trainer_id, 'trainingPath', r.training_path, 'assignedAt', r.assigned_at,
        'startedAt', r.started_at, 'finishedAt', r.finished_at, 'error', r.error, 'projectId', r.project_id,
        'name', r.name, 'baseModelId', r.base_model_id, 'datasetId', r.dataset_id, 'outputModelId', r.output_model_id,
        'outputModelCreated', r.output_model_created,
        'initialization', r.hyperparameters->>'initialization',
        'freezeStrategy', r.hyperparameters->'freeze'->>'strategy',
        'unfreezeSteps', jsonb_array_length(coalesce(r.hyperparameters->'unfreezeSchedule', '[]'::jsonb)),
        'attempts', coalesce((
          SELECT json_agg(json_build_object(
            'attempt', a.attempt, 'trainerId', a.trainer_id, 'status', a.status, 'resumedFromEpoch', a.resumed_from_epoch,
            'error', a.error, 'startedAt', a.started_at, 'endedAt', a.ended_at))
          FROM run_attempts a WHERE a.run_id = r.id), '[]'::json))::text AS run,
      (SELECT coalesce(json_agg(t.id), '[]'::json) FROM trainers t
        WHERE ${trainerIds.length > 0 ? sql`t.id IN (${uuidList(trainerIds)})` : sql`false`})::text AS known_trainers
    FROM runs r WHERE r.id IN (${uuidList(runIds)})
    ORDER BY r.id
    FOR UPDATE OF r`;
}

/** The state machine's contexts and the child models' metadata from lockRuns' rows. */
function readLockedRuns(rows: Record<string, unknown>[]) {
  const contexts = new Map<string, RunContext>();
  const metas = new Map<string, RunMeta>();
  const known = rows[0]?.known_trainers;
  const knownTrainers = new Set<string>(typeof known === "string" ? (JSON.parse(known) as string[]) : []);
  const date = (iso: string | null) => (iso === null ? null : new Date(iso));
  for (const row of rows) {
    const r = JSON.parse(String(row.run)) as LockedRunJson;
    const run: RunState = {
      id: r.id,
      status: r.status,
      currentAttempt: r.currentAttempt,
      attemptCount: r.attemptCount,
      trainerId: r.trainerId,
      trainingPath: r.trainingPath,
      assignedAt: date(r.assignedAt),
      startedAt: date(r.startedAt),
      finishedAt: date(r.finishedAt),
      error: r.error,
    };
    const attempts = new Map<number, AttemptState>();
    for (const a of r.attempts) {
      attempts.set(a.attempt, {
        ...a,
        startedAt: new Date(a.startedAt),
        endedAt: a.endedAt ? new Date(a.endedAt) : null,
      });
    }
    contexts.set(r.id, { run, attempts, runChanged: false, changedAttempts: new Set() });
    metas.set(r.id, {
      projectId: r.projectId,
      name: r.name,
      baseModelId: r.baseModelId,
      datasetId: r.datasetId,
      outputModelId: r.outputModelId,
      outputModelCreated: r.outputModelCreated,
      initialization: r.initialization === "SCRATCH" ? "SCRATCH" : "PRETRAINED",
      everyBaseLayerFrozen: r.freezeStrategy === "ALL_BASE" && Number(r.unfreezeSteps) === 0,
    });
  }
  return { contexts, metas, knownTrainers };
}

/** An epoch row before the database stamps `recordedAt`. */
type NewEpochRow = Omit<typeof runEpochs.$inferSelect, "recordedAt">;

function epochRow(runId: string, { epoch, attempt, metrics: m }: EpochEvent): NewEpochRow {
  // Field by field rather than spread: this runs once per stored epoch, and V8 builds a literal
  // of known shape several times faster than it copies an object's properties.
  return {
    runId,
    epoch,
    attempt,
    loss: m.loss,
    accuracy: m.accuracy,
    valLoss: m.valLoss,
    valAccuracy: m.valAccuracy,
    learningRate: m.learningRate,
    durationMs: m.durationMs,
    samplesPerSecond: m.samplesPerSecond,
    trainableParams: m.trainableParams,
    frozenLayers: m.frozenLayers,
  };
}

// The columns the batch insert writes, taken from the table: (key, SQL name, SQL type) each.
const INSERTED_COLUMNS = Object.entries(getTableColumns(runEpochs)).filter(([key]) => key !== "recordedAt");
const INSERT_EPOCHS = {
  target: sql.join(
    INSERTED_COLUMNS.map(([, column]) => sql.identifier(column.name)),
    sql`, `,
  ),
  fields: sql.join(
    INSERTED_COLUMNS.map(([key]) => sql.identifier(key)),
    sql`, `,
  ),
  record: sql.join(
    INSERTED_COLUMNS.map(([key, column]) => sql`${sql.identifier(key)} ${sql.raw(column.getSQLType())}`),
    sql`, `,
  ),
};

/**
 * One statement for the whole batch, the rows as a single JSON parameter: building a
 * 13-parameters-per-row statement costs more CPU than the database spends storing it. The same
 * statement brings lastEpoch and the best metrics of every run that got new epochs up to date
 * (a round trip fewer per batch, which on a loaded database costs more than the work): max/min
 * over what was stored is commutative, so batches may land in any order; greatest() and
 * least() skip NULLs, so a batch without validation metrics keeps the stored best. Only rows
 * that were not there yet come back, so duplicates are neither counted nor announced: one row
 * per run and stamp with its inserted epochs (recorded_at defaults to the transaction's now(),
 * so that is one row per run), not a row per epoch for the driver to decode.
 * The statement goes out with COMMIT; `insertedStamps` reads what it returns. None when no
 * epoch is to be stored.
 */
function insertEpochs(rows: NewEpochRow[], expected?: AheadPlan["expected"]): SQL | undefined {
  if (rows.length === 0) return undefined;
  // Planned ahead: insert only if every run and attempt is still as planned, and say so with a
  // row of its own when one was not (nothing is written then).
  const fresh = expected
    ? sql`(SELECT count(*) = ${expected.length}
           FROM (VALUES ${sql.join(
             expected.map(
               (e) =>
                 sql`(${e.runId}::uuid, ${e.status}, ${e.currentAttempt}::integer, ${e.attempt}::integer, ${e.attemptStatus}, ${e.holder}::uuid)`,
             ),
             sql`, `,
           )}) AS e(run_id, status, current_attempt, attempt, attempt_status, holder)
           JOIN runs r ON r.id = e.run_id AND r.status::text = e.status AND r.current_attempt = e.current_attempt
           JOIN run_attempts a ON a.run_id = e.run_id AND a.attempt = e.attempt
             AND a.status::text = e.attempt_status AND a.trainer_id = e.holder)`
    : undefined;
  return sql`
    WITH ${fresh ? sql`fresh AS (SELECT ${fresh} AS ok),` : sql``} inserted AS (
      INSERT INTO ${runEpochs} (${INSERT_EPOCHS.target})
      SELECT ${INSERT_EPOCHS.fields} FROM json_to_recordset(${JSON.stringify(rows)}::json) AS x(${INSERT_EPOCHS.record})
      ${fresh ? sql`WHERE (SELECT ok FROM fresh)` : sql``}
      ON CONFLICT (run_id, epoch) DO NOTHING
      RETURNING run_id, epoch, val_accuracy, val_loss, recorded_at
    ), summaries AS (
      UPDATE runs SET
        last_epoch = greatest(runs.last_epoch, v.last),
        best_val_accuracy = greatest(runs.best_val_accuracy, v.acc),
        best_val_loss = least(runs.best_val_loss, v.loss)
      FROM (SELECT run_id, max(epoch) AS last, max(val_accuracy) AS acc, min(val_loss) AS loss
            FROM inserted GROUP BY run_id) AS v
      WHERE runs.id = v.run_id
    )
    SELECT run_id, recorded_at, json_agg(epoch) AS epochs, false AS stale FROM inserted GROUP BY run_id, recorded_at
    ${fresh ? sql`UNION ALL SELECT NULL, NULL, NULL, true WHERE NOT (SELECT ok FROM fresh)` : sql``}`;
}

/** The ISO stamp of every inserted epoch row by `${runId}:${epoch}`, from insertEpochs' rows. */
function insertedStamps(rows: Record<string, unknown>[]): Map<string, string> {
  const stamps = new Map<string, string>();
  for (const stored of rows as { run_id: string; recorded_at: Date | string; epochs: number[] | string }[]) {
    const at = new Date(stored.recorded_at).toISOString();
    const epochs: number[] = typeof stored.epochs === "string" ? JSON.parse(stored.epochs) : stored.epochs;
    for (const epoch of epochs) stamps.set(`${stored.run_id}:${epoch}`, at);
  }
  return stamps;
}

/** A stored epoch row as subscribers get it: the row without its run id, stamped in ISO time (field by field, see epochRow). */
function epochPayload(row: NewEpochRow, recordedAt: string): EpochRecord {
  return {
    epoch: row.epoch,
    attempt: row.attempt,
    loss: row.loss,
    accuracy: row.accuracy,
    valLoss: row.valLoss,
    valAccuracy: row.valAccuracy,
    learningRate: row.learningRate,
    durationMs: row.durationMs,
    samplesPerSecond: row.samplesPerSecond,
    trainableParams: row.trainableParams,
    frozenLayers: row.frozenLayers,
    recordedAt,
  };
}

/** Status and attempt fields of runs whose state machine moved, in one UPDATE. */
async function writeRuns(tx: Tx, contexts: RunContext[]): Promise<void> {
  const changed = contexts.filter((ctx) => ctx.runChanged).map((ctx) => ctx.run);
  if (changed.length === 0) return;
  await tx.execute(sql`
    UPDATE runs SET
      status = v.status::run_status,
      current_attempt = v.current_attempt,
      attempt_count = v.attempt_count,
      trainer_id = v.trainer_id,
      training_path = v.training_path,
      assigned_at = v.assigned_at,
      started_at = v.started_at,
      finished_at = v.finished_at,
      error = nullif(v.error, 'null'::jsonb)
    FROM json_to_recordset(${JSON.stringify(changed.map(runRecord))}::json) AS v(
      id uuid, status text, current_attempt integer, attempt_count integer, trainer_id uuid,
      training_path text, assigned_at timestamptz, started_at timestamptz, finished_at timestamptz, error jsonb)
    WHERE runs.id = v.id`);
}

/** A run's state as json_to_recordset reads it (dates as ISO text, which timestamptz parses exactly). */
const runRecord = (run: RunState) => ({
  id: run.id,
  status: run.status,
  current_attempt: run.currentAttempt,
  attempt_count: run.attemptCount,
  trainer_id: run.trainerId,
  training_path: run.trainingPath,
  assigned_at: run.assignedAt?.toISOString() ?? null,
  started_at: run.startedAt?.toISOString() ?? null,
  finished_at: run.finishedAt?.toISOString() ?? null,
  error: run.error,
});

async function writeAttempts(tx: Tx, contexts: RunContext[]): Promise<void> {
  const rows = contexts.flatMap((ctx) =>
    [...ctx.changedAttempts].flatMap((n) => {
      const a = ctx.attempts.get(n);
      return a ? [{ runId: ctx.run.id, ...a }] : [];
    }),
  );
  if (rows.length === 0) return;
  await tx
    .insert(runAttempts)
    .values(rows)
    .onConflictDoUpdate({
      target: [runAttempts.runId, runAttempts.attempt],
      set: {
        trainerId: sql`excluded.trainer_id`,
        status: sql`excluded.status`,
        resumedFromEpoch: sql`excluded.resumed_from_epoch`,
        error: sql`excluded.error`,
        endedAt: sql`excluded.ended_at`,
      },
    });
}

/**
 * The fine-tuned child: a new node under the base model, keyed by the id the run reserved. Its
 * artifact key comes from that id (never from the event), and its layers and lineage verdict
 * from the gateway's own reading of the stored artifact; the trainer's report is advisory (its
 * layers are kept only when the artifact cannot be read, with lineage false).
 */
async function createChildModel(
  tx: Tx,
  run: RunState,
  meta: RunMeta,
  event: SucceededEvent,
  checkOutput: OutputChecker,
): Promise<void> {
  const [parent] = await tx.select().from(models).where(eq(models.id, meta.baseModelId));
  if (!parent) throw new Error(`base model ${meta.baseModelId} of run ${run.id} is missing`);
  const out = event.outputModel;
  const artifactKey = modelArtifactKey(meta.outputModelId);
  const check = await checkOutput(artifactKey, out);
  const judged = judgeLineage(
    parent.layers,
    check,
    "kind" in parent.preprocessing ? (parent.preprocessing.tokenizerSha256 ?? null) : null,
    meta.everyBaseLayerFrozen,
  );
  // A scratch control keeps its parent's architecture but none of its weights: say so, rather
  // than letting it pass for a fine-tune of every layer.
  const lineage =
    meta.initialization === "SCRATCH" && judged.verified !== false
      ? { verified: null, reason: "re-initialized (SCRATCH): the parent's architecture, none of its weights" }
      : judged;
  const layers = toLayerRows(check.ok ? check.layers : out.layers);
  await tx
    .insert(models)
    .values({
      id: meta.outputModelId,
      projectId: meta.projectId,
      name: `${parent.name} / ${meta.name ?? `run ${run.id.slice(0, 8)}`}`,
      kind: "FINE_TUNED",
      parentId: parent.id,
      rootId: parent.rootId ?? parent.id,
      depth: parent.depth + 1,
      producedByRunId: run.id,
      architecture: parent.architecture,
      task: parent.task,
      inputShape: out.inputShape,
      labels: out.labels,
      preprocessing: parent.preprocessing,
      featureLayer: out.featureLayer,
      layers,
      paramCount: layers.reduce((sum, l) => sum + l.params, 0),
      sizeBytes: check.ok ? check.sizeBytes : out.sizeBytes,
      artifactKey,
      provenance: {
        runId: run.id,
        datasetId: meta.datasetId,
        trainingPath: event.trainingPath,
        stoppedEarly: event.stoppedEarly,
        attempt: event.attempt,
        initialization: meta.initialization,
      },
      verifiedLineage: lineage.verified,
      lineageReason: lineage.reason,
      initialization: meta.initialization,
    })
    .onConflictDoNothing();
  await tx
    .insert(artifacts)
    .values({
      key: artifactKey,
      projectId: meta.projectId,
      kind: "model",
      sizeBytes: check.ok ? check.sizeBytes : out.sizeBytes,
      // "" records the digest as unknown rather than repeating an unchecked claim.
      sha256: check.ok ? check.sha256 : "",
    })
    .onConflictDoNothing();
  await tx.update(runs).set({ outputModelCreated: true }).where(eq(runs.id, run.id));
}
