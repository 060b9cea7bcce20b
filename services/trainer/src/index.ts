/**
 * Public API of @graft/trainer: a trainer node for in-process use. The bin `graft-trainer`
 * (`@graft/trainer/bin`, what `graft trainer start` runs) starts one from the environment
 * (src/main.ts); the fine-tuning engine alone is `@graft/trainer/engine`.
 */
export { InvalidEnvError, readEnv, type TrainerEnv } from "./env.ts";
export type { Engine } from "./node/engine-port.ts";
export { GatewayUnreachableError, RegistrationError } from "./node/errors.ts";
export { startTrainerNode, type TrainerNode, type TrainerNodeConfig } from "./node/node.ts";
