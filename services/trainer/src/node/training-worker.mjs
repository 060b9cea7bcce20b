// Bootstrap of a training worker thread (see training-thread.ts): a worker starts without
// the parent's module hooks, so register tsx here before loading the TypeScript entry.
import { register } from "tsx/esm/api";

register();
await import("./training-worker.ts");
