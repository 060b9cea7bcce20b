import { type ProjectScope, projectScope } from "@graft/db";
import { ApiKeyCommands } from "./commands/api-keys.ts";
import { DatasetCommands } from "./commands/datasets.ts";
import { ExperimentCommands } from "./commands/experiments.ts";
import { JoinTokenCommands } from "./commands/join-tokens.ts";
import { ModelCommands } from "./commands/models.ts";
import { RunCommands } from "./commands/runs.ts";
import { SessionCommands } from "./commands/sessions.ts";
import { StudyCommands } from "./commands/studies.ts";
import { SweepCommands } from "./commands/sweeps.ts";
import { TrainerCommands } from "./commands/trainers.ts";
import { DatasetQueries } from "./datasets.ts";
import type { Caller, DomainDeps, RequestOrigin } from "./deps.ts";
import { UnauthenticatedError } from "./errors.ts";
import { EventDropQueries } from "./event-drops.ts";
import { ExperimentQueries } from "./experiments.ts";
import { featureLayerCandidatesOf, fineTuneDefaultsOf } from "./fine-tune-defaults.ts";
import { ModelQueries } from "./models.ts";
import type { ModelRow } from "./rows.ts";
import { RunQueries } from "./runs.ts";
import { StudyQueries } from "./studies.ts";
import { SweepQueries } from "./sweeps.ts";
import { TrainerQueries } from "./trainers.ts";

/**
 * The domain as one request sees it: reads and commands scoped to the caller. Without a
 * caller (no API key) only `trainers.register` (join token) and `sessionCommands.create`
 * (an API key in the input) work; the rest throw UNAUTHENTICATED. Admin-only operations
 * check the caller's role with `requireAdmin`.
 */
export function createDomain(deps: DomainDeps, caller: Caller | null, origin: RequestOrigin) {
  const scope = caller ? projectScope(caller.projectId) : null;
  const scoped = <T>(make: (scope: ProjectScope) => T): T => {
    if (scope) return make(scope);
    return new Proxy({} as object, {
      get() {
        throw new UnauthenticatedError("missing API key: send `Authorization: Bearer <api key>`");
      },
    }) as T;
  };
  const models = scoped((c) => new ModelQueries(deps.db, c));
  const datasets = scoped((c) => new DatasetQueries(deps.db, c));
  const experiments = scoped((c) => new ExperimentQueries(deps.db, c));
  const runs = scoped((c) => new RunQueries(deps.db, c));
  const studies = scoped((c) => new StudyQueries(deps.db, c, { runs, datasets }));
  const sweeps = scoped((c) => new SweepQueries(deps.db, c));
  const trainers = new TrainerQueries(deps.db);
  const runCommands = scoped((c) => new RunCommands(deps, c, { runs }));
  return {
    caller,
    models,
    datasets,
    experiments,
    runs,
    studies,
    sweeps,
    trainers,
    eventDrops: new EventDropQueries(deps.db, caller),
    /** Where a model can be cut and what a fine-tune of it uses by default. */
    fineTuning: {
      defaults: fineTuneDefaultsOf,
      featureLayerCandidates: (model: ModelRow) => featureLayerCandidatesOf(deps.store, model),
    },
    modelCommands: scoped((c) => new ModelCommands(deps, c)),
    datasetCommands: scoped((c) => new DatasetCommands(deps, c)),
    experimentCommands: scoped((c) => new ExperimentCommands(deps, c)),
    runCommands,
    studyCommands: scoped((c) => new StudyCommands(deps, c, runCommands, models)),
    sweepCommands: scoped((c) => new SweepCommands(deps, c, { runCommands, models, sweeps })),
    trainerCommands: new TrainerCommands(deps, caller, origin),
    apiKeyCommands: new ApiKeyCommands(deps, caller),
    joinTokenCommands: new JoinTokenCommands(deps, caller),
    sessionCommands: new SessionCommands(deps, caller, origin),
  };
}

export type Domain = ReturnType<typeof createDomain>;
export { requireAdmin } from "./access.ts";
export type { Caller, DomainDeps, DomainOptions, EventPlanePort, RequestOrigin } from "./deps.ts";
export * from "./errors.ts";
