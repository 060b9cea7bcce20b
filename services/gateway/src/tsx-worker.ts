import { Worker, type WorkerOptions } from "node:worker_threads";

/**
 * A worker thread running a TypeScript module. Graft runs its source through tsx, which
 * registers its loader per thread (a worker does not inherit it): the worker registers it
 * first, then loads the module.
 */
export function tsxWorker(module: URL, options: WorkerOptions = {}): Worker {
  const source = `import(${JSON.stringify(import.meta.resolve("tsx/esm/api"))}).then((tsx) => tsx.tsImport(${JSON.stringify(
    module.href,
  )}, ${JSON.stringify(import.meta.url)}))`;
  return new Worker(source, { ...options, eval: true });
}
