import { parentPort } from "node:worker_threads";
import { type ParseJob, runParseJob, serializeError } from "./parse-jobs.ts";

// One job per worker: parse, post the result (or the error as data), exit.
parentPort?.once("message", (job: ParseJob) => {
  try {
    parentPort?.postMessage({ ok: true, value: runParseJob(job) });
  } catch (error) {
    parentPort?.postMessage({ ok: false, error: serializeError(error) });
  }
});
