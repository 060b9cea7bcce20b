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
  // Each part is built on first use: most requests touch one or two, and a cached answer none.
  const once = <T>(make: () => T): (() => T) => {
    let built: { value: T } | undefined;
    return () => {
      built ??= { value: make() };
      return built.value;
    };
  };
  const scope = once(() => (caller ? projectScope(caller.projectId) : null));
  const scoped = <T>(make: (scope: ProjectScope) => T): (() => T) =>
    once(() => {
      const s = scope();
      if (s) return make(s);
      return new Proxy({} as object, {
        get() {
          throw new UnauthenticatedError("missing API key: send `Authorization: Bearer <api key>`");
        },
      }) as T;
    });
  const models = scoped((c) => new ModelQueries(deps.db, c));
  const datasets = scoped((c) => new DatasetQueries(deps.db, c));
  const experiments = scoped((c) => new ExperimentQueries(deps.db, c));
  const runs = scoped((c) => new RunQueries(deps.db, c));
  const studies = scoped((c) => new StudyQueries(deps.db, c, { runs: runs(), datasets: datasets() }));
  const sweeps = scoped((c) => new SweepQueries(deps.db, c));
  const trainers = once(() => new TrainerQueries(deps.db));
  const eventDrops = once(() => new EventDropQueries(deps.db, caller));
  const runCommands = scoped((c) => new RunCommands(deps, c, { runs: runs() }));
  const modelCommands = scoped((c) => new ModelCommands(deps, c));
  const datasetCommands = scoped((c) => new DatasetCommands(deps, c));
  const experimentCommands = scoped((c) => new ExperimentCommands(deps, c));
  const studyCommands = scoped((c) => new StudyCommands(deps, c, runCommands(), models()));
  const sweepCommands = scoped(
    (c) => new SweepCommands(deps, c, { runCommands: runCommands(), models: models(), sweeps: sweeps() }),
  );
  const trainerCommands = once(() => new TrainerCommands(deps, caller, origin));
  const apiKeyCommands = once(() => new ApiKeyCommands(deps, caller));
  const joinTokenCommands = once(() => new JoinTokenCommands(deps, caller));
  const sessionCommands = once(() => new SessionCommands(deps, caller, origin));
  return {
    caller,
    get models() {
      return models();
    },
    get datasets() {
      return datasets();
    },
    get experiments() {
      return experiments();
    },
    get runs() {
      return runs();
    },
    get studies() {
      return studies();
    },
    get sweeps() {
      return sweeps();
    },
    get trainers() {
      return trainers();
    },
    get eventDrops() {
      return eventDrops();
    },
    /** Where a model can be cut and what a fine-tune of it uses by default. */
    fineTuning: {
      defaults: fineTuneDefaultsOf,
      featureLayerCandidates: (model: ModelRow) => featureLayerCandidatesOf(deps.store, model),
    },
    get modelCommands() {
      return modelCommands();
    },
    get datasetCommands() {
      return datasetCommands();
    },
    get experimentCommands() {
      return experimentCommands();
    },
    get runCommands() {
      return runCommands();
    },
    get studyCommands() {
      return studyCommands();
    },
    get sweepCommands() {
      return sweepCommands();
    },
    get trainerCommands() {
      return trainerCommands();
    },
    get apiKeyCommands() {
      return apiKeyCommands();
    },
    get joinTokenCommands() {
      return joinTokenCommands();
    },
    get sessionCommands() {
      return sessionCommands();
    },
  };
}

export type Domain = ReturnType<typeof createDomain>;
export { requireAdmin } from "./access.ts";
export type { Caller, DomainDeps, DomainOptions, EventPlanePort, RequestOrigin } from "./deps.ts";
export * from "./errors.ts";
