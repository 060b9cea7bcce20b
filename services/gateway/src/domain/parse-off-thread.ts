import { Worker } from "node:worker_threads";
import { UnsafeArchiveError } from "@graft/artifacts";
import { deserializeError, type ParseJob, type ParseResult, runParseJob, type SerializedError } from "./parse-jobs.ts";

/** Workers parsing at once; more jobs wait their turn. The machine's cores are shared with requests. */
const MAX_WORKERS = 2;
/** A worker's JS heap; past it the worker dies (an error for its request), never the gateway. */
const WORKER_HEAP_MB = 1024;

/**
 * Graft runs its TypeScript source through tsx, which registers its loader per thread; a
 * worker registers it first, then loads the job runner.
 */
const BOOTSTRAP = `import(${JSON.stringify(import.meta.resolve("tsx/esm/api"))}).then((tsx) => tsx.tsImport(${JSON.stringify(
  new URL("./parse-worker.ts", import.meta.url).href,
)}, ${JSON.stringify(import.meta.url)}))`;

let running = 0;
const waiting: (() => void)[] = [];

/**
 * Runs a parse job (unzip, model parsing, decoding every image of a dataset) in a worker
 * thread, so one upload's seconds of CPU do not hold up every other request. Typed errors
 * (InvalidModelError, ModelLimitError, UnsafeArchiveError, InvalidDatasetError) come back as
 * themselves. `inline: true` runs it on the calling thread (small inputs, tests).
 */
export async function parseOffThread<J extends ParseJob>(
  job: J,
  options: { inline?: boolean } = {},
): Promise<ParseResult<J>> {
  if (options.inline) return runParseJob(job) as ParseResult<J>;
  if (running >= MAX_WORKERS) await new Promise<void>((resolve) => waiting.push(resolve));
  running++;
  try {
    return (await inWorker(job)) as ParseResult<J>;
  } finally {
    running--;
    waiting.shift()?.();
  }
}

function inWorker(job: ParseJob): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(BOOTSTRAP, { eval: true, resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB } });
    let settled = false;
    worker.once("message", (reply: { ok: true; value: unknown } | { ok: false; error: SerializedError }) => {
      settled = true;
      if (reply.ok) resolve(reply.value);
      else reject(deserializeError(reply.error));
      void worker.terminate();
    });
    worker.once("error", (error: Error & { code?: string }) => {
      if (settled) return;
      settled = true;
      // Out of memory is the input's doing (it passed every cheaper check): say so, typed.
      if (error.code === "ERR_WORKER_OUT_OF_MEMORY")
        reject(new UnsafeArchiveError(`parsing needed more than ${WORKER_HEAP_MB} MB of memory`));
      else reject(new Error(`parsing failed in its worker: ${error.message}`, { cause: error }));
    });
    worker.once("exit", (code) => {
      if (!settled) reject(new Error(`the parse worker exited with code ${code}`));
    });
    worker.postMessage(job);
  });
}
