import assert from "node:assert/strict";
import { test } from "node:test";
import {
  FREEZE_STRATEGIES,
  METRIC_NAMES,
  OPTIMIZERS,
  RUN_ATTEMPT_STATUSES,
  RUN_ERROR_CODES,
  RUN_STATUSES,
  RUN_UPDATE_KINDS,
  SWEEP_GOALS,
  SWEEP_METHODS,
  SWEEP_STATUSES,
  TRAINER_STATUSES,
  TRAINER_UPDATE_KINDS,
  TRAINING_PATHS,
} from "@graft/contracts";
import { isEnumType } from "graphql";
import { createSchema } from "./schema.ts";

// Each GraphQL enum of the public schema and the @graft/contracts list the services use for it.
const PAIRS: [graphqlEnum: string, contractValues: readonly string[]][] = [
  ["RunStatus", RUN_STATUSES],
  ["RunAttemptStatus", RUN_ATTEMPT_STATUSES],
  ["RunErrorCode", RUN_ERROR_CODES],
  ["TrainerStatus", TRAINER_STATUSES],
  ["Optimizer", OPTIMIZERS],
  ["FreezeStrategy", FREEZE_STRATEGIES],
  ["MetricName", METRIC_NAMES],
  ["TrainingPath", TRAINING_PATHS],
  ["RunEventKind", RUN_UPDATE_KINDS],
  ["TrainerEventKind", TRAINER_UPDATE_KINDS],
  ["SweepMethod", SWEEP_METHODS],
  ["SweepGoal", SWEEP_GOALS],
  ["SweepStatus", SWEEP_STATUSES],
];

test("every GraphQL enum the services produce has exactly the values of its @graft/contracts list", () => {
  const schema = createSchema();
  for (const [name, values] of PAIRS) {
    const type = schema.getType(name);
    assert.ok(isEnumType(type), `${name} is an enum of schema.graphql`);
    assert.deepEqual(
      type.getValues().map((v) => v.name),
      [...values],
      `schema.graphql enum ${name} and its list in @graft/contracts differ: change both`,
    );
  }
});
