import type { IncomingMessage, ServerResponse } from "node:http";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { checkpointKey, epochCheckpointKey, forkSeedKey, MODEL_FILES, modelArtifactKey } from "@graft/artifacts";
import { isUuid, TERMINAL_RUN_STATUSES, TRAINER_ARTIFACTS_PATH } from "@graft/contracts";
import { datasets, isDatabaseUnreachable, models, runs } from "@graft/db";
import { eq } from "drizzle-orm";
import type { DomainDeps } from "../domain/deps.ts";
import { BodyTooLargeError, discardRest, sendJson } from "./apollo-node.ts";

/** Largest object a trainer may write (a model's weights). */
const MAX_TRAINER_OBJECT_BYTES = 2 ** 30;

/** What the output record of a run is called beside its model (see the trainer's output-record). */
const OUTPUT_RECORD = "succeeded.json";

/**
 * `GET | PUT | DELETE /trainer-artifacts/<runId>/<key>` with `Authorization: Bearer <job token>`.
 * Trainers have no object-store rights on NATS; this is their only way to artifacts, and the
 * job token of a run (carried in its job message, which only its pool's trainers can read)
 * opens only that run's keys: read the base model and the dataset, read and write the run's
 * checkpoint (and the epoch checkpoints it keeps, and a fork's seed) and its output model while
 * the run is not over. A finished run's output is the model the gateway verified, so it is
 * never writable again.
 */
export async function handleTrainerArtifact(
  deps: DomainDeps,
  path: string,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  try {
    await serve(deps, path, req, res);
  } catch (error) {
    // The database or NATS behind us is away: 503 tells the trainer to retry, not to fail the run.
    deps.log(`trainer-artifacts: ${req.method} ${path}: ${error instanceof Error ? error.message : String(error)}`);
    if (res.headersSent) {
      res.destroy();
      return;
    }
    req.resume();
    res.setHeader("retry-after", "2");
    sendJson(res, 503, { error: "artifacts are unavailable for now; retry", code: "UNAVAILABLE" });
  }
}

async function serve(deps: DomainDeps, path: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  let parts: string[];
  try {
    parts = path
      .slice(TRAINER_ARTIFACTS_PATH.length + 1)
      .split("/")
      .map((part) => decodeURIComponent(part));
  } catch {
    return refuse(req, res, 400, "malformed artifact path");
  }
  const [runId, ...rest] = parts;
  const key = rest.join("/");
  const token = /^Bearer (\S+)$/.exec(req.headers.authorization ?? "")?.[1];
  if (!runId || !isUuid(runId) || !token || !deps.trainerPlane.verifyJobToken(runId, token)) {
    discardRest(req, res);
    res.setHeader("www-authenticate", "Bearer");
    return sendJson(res, 401, { error: "a valid job token for this run is required", code: "UNAUTHENTICATED" });
  }
  const grant = await grantOf(deps, runId);
  if (!grant) return refuse(req, res, 404, "no such run");

  if (req.method === "GET") {
    if (!grant.readable.has(key)) return refuse(req, res, 403, `run ${runId} may not read ${key}`);
    // Streamed chunk by chunk: a model or dataset (up to a GiB) is never held whole here.
    const chunks = await deps.store.getStream(key);
    if (!chunks) return sendJson(res, 404, { error: "no such object" });
    res.writeHead(200, { "content-type": "application/octet-stream" });
    await pipeline(Readable.from(chunks), res);
    return;
  }
  if (req.method !== "PUT" && req.method !== "DELETE") {
    res.setHeader("allow", "GET, PUT, DELETE");
    return refuse(req, res, 405, "use GET, PUT or DELETE");
  }
  if (!grant.writable.has(key)) return refuse(req, res, 403, `run ${runId} may not write ${key}`);
  // Cleaning up a checkpoint (or a fork's seed) comes after the final report; everything else only while the run lives.
  if (grant.closed && !(req.method === "DELETE" && (key === checkpointKey(runId) || key === forkSeedKey(runId)))) {
    return refuse(req, res, 409, `run ${runId} has ended; its artifacts are final`);
  }
  if (req.method === "DELETE") {
    req.resume();
    await deps.store.delete(key).catch(() => undefined);
    res.writeHead(204).end();
    return;
  }
  if (Number(req.headers["content-length"] ?? 0) > MAX_TRAINER_OBJECT_BYTES) {
    return tooLarge(req, res, new BodyTooLargeError(MAX_TRAINER_OBJECT_BYTES));
  }
  // Streamed into the store as it arrives (memory stays at a chunk, not the object). A body
  // that is cut off or passes the limit fails the put, which keeps the key's previous object
  // (a trainer's last good checkpoint) and leaves none of the new chunks behind.
  try {
    await deps.store.putStream(key, bounded(req, MAX_TRAINER_OBJECT_BYTES));
  } catch (error) {
    if (error instanceof BodyTooLargeError) return tooLarge(req, res, error);
    if (req.destroyed || !req.complete) return; // the trainer went away mid-body: nobody to answer
    throw error;
  }
  res.writeHead(204).end();
}

/** The request's chunks, failing with BodyTooLargeError once they pass `limit` bytes. */
async function* bounded(req: IncomingMessage, limit: number): AsyncGenerator<Uint8Array> {
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.byteLength;
    if (size > limit) throw new BodyTooLargeError(limit);
    yield chunk;
  }
}

function tooLarge(req: IncomingMessage, res: ServerResponse, error: BodyTooLargeError): void {
  discardRest(req, res);
  sendJson(res, 413, { error: error.message, code: "PAYLOAD_TOO_LARGE" });
}

interface Grant {
  readable: Set<string>;
  writable: Set<string>;
  /** Over (or its output already recorded): nothing may be written any more. */
  closed: boolean;
}

/**
 * The last grant read for each run, used only while the database is unreachable: a trainer
 * keeps checkpointing through a database outage as it did when it wrote to NATS itself. No run
 * can end while the database is away (ingest cannot store its end), so a grant read before
 * the outage is still right unless the run ended just before it. Bounded; oldest out first.
 */
const lastKnown = new Map<string, Grant>();
const LAST_KNOWN_MAX = 10_000;

async function grantOf(deps: DomainDeps, runId: string): Promise<Grant | undefined> {
  try {
    const grant = await readGrant(deps, runId);
    lastKnown.delete(runId);
    if (grant) lastKnown.set(runId, grant);
    if (lastKnown.size > LAST_KNOWN_MAX) lastKnown.delete(lastKnown.keys().next().value as string);
    return grant;
  } catch (error) {
    const known = isDatabaseUnreachable(error) ? lastKnown.get(runId) : undefined;
    if (!known) throw error;
    return known;
  }
}

/** What run `runId`'s job may read and write: its base model and dataset; its checkpoint and output. */
async function readGrant(deps: DomainDeps, runId: string): Promise<Grant | undefined> {
  // One round trip per request: the run with its base model's key and its dataset's source.
  const [row] = await deps.db
    .select({ run: runs, baseKey: models.artifactKey, source: datasets.source })
    .from(runs)
    .leftJoin(models, eq(models.id, runs.baseModelId))
    .leftJoin(datasets, eq(datasets.id, runs.datasetId))
    .where(eq(runs.id, runId));
  if (!row) return undefined;
  const { run, baseKey, source } = row;
  const output = modelArtifactKey(run.outputModelId);
  const writable = new Set([checkpointKey(run.id), ...[...MODEL_FILES, OUTPUT_RECORD].map((f) => `${output}/${f}`)]);
  // Epoch checkpoints kept for forks (hyperparameters.keepCheckpoints); the fork's seed is read and then deleted.
  const keep = Number((run.hyperparameters as { keepCheckpoints?: unknown }).keepCheckpoints ?? 0);
  if (keep > 0) for (let epoch = 1; epoch <= run.epochs; epoch++) writable.add(epochCheckpointKey(run.id, epoch));
  if (run.forkedFromRunId) writable.add(forkSeedKey(run.id));
  const readable = new Set(writable);
  if (baseKey) for (const file of MODEL_FILES) readable.add(`${baseKey}/${file}`);
  if (source?.kind === "UPLOAD") readable.add(source.artifactKey);
  return { readable, writable, closed: TERMINAL_RUN_STATUSES.has(run.status) || run.outputModelCreated };
}

/** A refused request's body is not read to its end: whoever sent it is cut off (see discardRest). */
function refuse(req: IncomingMessage, res: ServerResponse, status: number, error: string): void {
  discardRest(req, res);
  const code = { 400: "BAD_USER_INPUT", 404: "NOT_FOUND", 409: "CONFLICT" }[status] ?? "FORBIDDEN";
  sendJson(res, status, { error, code });
}
