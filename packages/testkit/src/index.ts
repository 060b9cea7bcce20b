/**
 * Public API of @graft/testkit: helpers any test in the repo may use, beside the code or in
 * test/. Only generic helpers live here (it depends on @graft/contracts alone), so every
 * package can use it without a dependency cycle; database and service fixtures live in each
 * package's `./testing` entry, the whole stack in test/support.
 */
export {
  claimed,
  hyperparameters,
  jobMessage,
  TEST_JOB_TOKEN_SECRET,
  testJobToken,
  type UnclaimedRunEvent,
} from "./builders.ts";
export { type WaitForOptions, waitFor } from "./wait-for.ts";
