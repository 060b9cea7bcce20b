/**
 * Public API of @graft/contracts: the vocabulary Graft's processes share (statuses, metric
 * names, error codes, id rules, the training-path rule), NATS subjects, stream names and
 * message schemas. Add exports here with intention.
 */

export * from "./error-codes.ts";
export * from "./hyperparameters.ts";
export * from "./ids.ts";
export * from "./input-size.ts";
export * from "./jetstream.ts";
export * from "./limits.ts";
export * from "./messages.ts";
export * from "./metrics.ts";
export * from "./preprocessing.ts";
export * from "./progress.ts";
export * from "./random.ts";
export * from "./roles.ts";
export * from "./statuses.ts";
export * from "./studies.ts";
export * from "./subjects.ts";
export * from "./sweeps.ts";
export * from "./trainer-plane.ts";
export * from "./training-path.ts";
export * from "./updates.ts";
