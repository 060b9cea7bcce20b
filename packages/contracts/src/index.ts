/**
 * Public API of @graft/contracts: NATS subjects, stream names and message schemas shared
 * by the gateway and trainers. Add exports here with intention.
 */

export * from "./hyperparameters.ts";
export * from "./jetstream.ts";
export * from "./messages.ts";
export * from "./preprocessing.ts";
export * from "./subjects.ts";
export * from "./updates.ts";
