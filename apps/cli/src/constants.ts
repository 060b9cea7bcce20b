export const METRICS = ["loss", "accuracy", "valLoss", "valAccuracy"] as const;
export const OPTIMIZERS = ["ADAM", "SGD", "RMSPROP", "ADAGRAD"] as const;
export const RUN_STATUSES = ["QUEUED", "ASSIGNED", "RUNNING", "SUCCEEDED", "FAILED", "CANCELLED"] as const;
export const TRAINER_STATUSES = ["IDLE", "BUSY", "DRAINING", "OFFLINE"] as const;
