/**
 * Test API of @graft/gateway (`@graft/gateway/testing`): the event plane's harness (real
 * nats-server and database, seeded rows, trainer event builders) for tests and benchmarks
 * outside this package. Not for production code.
 */

export { parseOffThread } from "./domain/parse-off-thread.ts";
export { type StudyRunResult, studyResults } from "./domain/study-cells.ts";
export { type GainArms, type GainEpoch, transferGain } from "./domain/transfer-gain.ts";
export {
  BASE_LAYERS,
  epochMetrics,
  events,
  type Harness,
  type SeededRun,
  seedRun,
  setup as setupEventPlane,
  take,
} from "./events/test-fixtures.ts";
export { jobTokenFor } from "./trainer-plane/trainer-plane.ts";
