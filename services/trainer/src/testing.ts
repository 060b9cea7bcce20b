/**
 * Test API of @graft/trainer (`@graft/trainer/testing`): the built-in bases loaded as the
 * engine loads them, and a lineage check over frozen layers. Not for production code.
 */
export { changedFrozenLayers, loadBuiltin } from "./engine/test-helpers.ts";
