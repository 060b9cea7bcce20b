import type { Resolvers } from "../resolvers.generated.ts";
import { DateTimeScalar, JSONScalar } from "../scalars.ts";
import { Layer, Model, Preprocessing } from "./model.ts";
import { Mutation } from "./mutation.ts";
import { Query } from "./query.ts";
import { Dataset, EpochMetrics, Experiment, Hyperparameters, Run, RunAttempt } from "./run.ts";
import { LeaderboardEntry, Study, StudyCell, StudyCurve } from "./study.ts";
import { RunEvent, Subscription, TrainerEvent } from "./subscription.ts";
import { Sweep, SweepTrial } from "./sweep.ts";
import { Trainer } from "./trainer.ts";

export const resolvers: Resolvers = {
  DateTime: DateTimeScalar,
  JSON: JSONScalar,
  Query,
  Mutation,
  Subscription,
  Model,
  Layer,
  Preprocessing,
  Run,
  Study,
  StudyCell,
  StudyCurve,
  Sweep,
  SweepTrial,
  LeaderboardEntry,
  Hyperparameters,
  EpochMetrics,
  RunAttempt,
  Experiment,
  Dataset,
  Trainer,
  TrainerEvent,
  RunEvent,
};
