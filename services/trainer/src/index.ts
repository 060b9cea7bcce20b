/**
 * Public API of @graft/trainer: a trainer node for in-process use (tests, the launcher).
 * `npm run trainer` runs the same node from the environment (src/main.ts).
 */
export { InvalidEnvError, readEnv, type TrainerEnv } from "./env.ts";
export type { Engine } from "./node/engine-port.ts";
export { GatewayUnreachableError, RegistrationError } from "./node/errors.ts";
export { startTrainerNode, type TrainerNode, type TrainerNodeConfig } from "./node/node.ts";
