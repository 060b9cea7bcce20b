import type { MetricName } from "@graft/contracts";
import type { SeriesPoint } from "@graft/db";
import DataLoader from "dataloader";
import type { GraphQLResolveInfo } from "graphql";
import type { Domain } from "../domain/index.ts";
import type { AttemptRow, DatasetRow, EpochRow, ExperimentRow, ModelRow, RunRow, TrainerRow } from "../domain/rows.ts";
import type { StudyRow } from "../domain/studies.ts";
import type { SweepRow, SweepTrialRow } from "../domain/sweep-ledger.ts";
import { selectsOnlyLightModelFields, selectsOnlySummaryModelFields } from "./light-selection.ts";

const byKey = <V>(load: (ids: readonly string[]) => Promise<Map<string, V>>) =>
  new DataLoader<string, V | null>(async (ids) => {
    const found = await load(ids);
    return ids.map((id) => found.get(id) ?? null);
  });

const listsBy = <V>(load: (ids: readonly string[]) => Promise<Map<string, V[]>>) =>
  new DataLoader<string, V[]>(async (ids) => {
    const found = await load(ids);
    return ids.map((id) => found.get(id) ?? []);
  });

/** One set per request, so a list of N runs costs one query per relation, not N. */
export function createLoaders(domain: Domain) {
  // `bestEpoch(metric:)` takes an argument, so one loader per metric asked for.
  const bestEpochs = new Map<MetricName, DataLoader<string, EpochRow | null>>();
  const series = new Map<string, DataLoader<string, SeriesPoint[]>>();
  return {
    model: byKey<ModelRow>((ids) => domain.models.byIds(ids)),
    /** Rows without layers and provenance, for selections that read neither (light-selection.ts). */
    lightModel: byKey<ModelRow>((ids) => domain.models.lightByIds(ids)),
    /**
     * Models this request read as summaries (a `descendants` read) and the models whose
     * descendants they are: each descendant's parent is one of them, so `parent { id }` on
     * 10,000 descendants needs no query and no promise (see `modelFor`).
     */
    summaries: new Map<string, ModelRow>(),
    dataset: byKey<DatasetRow>((ids) => domain.datasets.byIds(ids)),
    experiment: byKey<ExperimentRow>((ids) => domain.experiments.byIds(ids)),
    run: byKey<RunRow>((ids) => domain.runs.byIds(ids)),
    study: byKey<StudyRow>((ids) => domain.studies.byIds(ids)),
    trainer: byKey<TrainerRow>((ids) => domain.trainers.byIds(ids)),
    epochs: listsBy<EpochRow>((ids) => domain.runs.epochsOf(ids)),
    attempts: listsBy<AttemptRow>((ids) => domain.runs.attemptsOf(ids)),
    lastEpoch: byKey<EpochRow>((ids) => domain.runs.lastEpochsOf(ids)),
    sweepTrials: listsBy<SweepTrialRow>((ids) => domain.sweeps.trialsOf(ids)),
    /** The trial (and sweep) each run is, for `Run.sweep` and `Run.sweepTrial`. */
    sweepTrialOfRun: byKey<{ sweep: SweepRow; trial: SweepTrialRow }>((ids) => domain.sweeps.trialsOfRuns(ids)),
    /** Each run's best epoch by `metric`, batched across the runs of a request. */
    bestEpoch(metric: MetricName): DataLoader<string, EpochRow | null> {
      let loader = bestEpochs.get(metric);
      if (!loader) {
        loader = byKey<EpochRow>((ids) => domain.runs.bestEpochsOf(ids, metric));
        bestEpochs.set(metric, loader);
      }
      return loader;
    },
    /** Each run's `series(metric, maxPoints)`, batched across the runs of a request (the compare page's). */
    series(metric: MetricName, maxPoints: number): DataLoader<string, SeriesPoint[]> {
      const key = `${metric}/${maxPoints}`;
      let loader = series.get(key);
      if (!loader) {
        loader = listsBy<SeriesPoint>((ids) => domain.runs.seriesOf(ids, metric, maxPoints));
        series.set(key, loader);
      }
      return loader;
    },
  };
}

export type Loaders = ReturnType<typeof createLoaders>;

/** The light model loader when the field's selection needs no layers, else the full one. */
export function modelLoader(loaders: Loaders, info: GraphQLResolveInfo): Loaders["model"] {
  return selectsOnlyLightModelFields(info) ? loaders.lightModel : loaders.model;
}

/**
 * The model for this field's selection: at once when the request has read it as a summary and
 * the selection needs no more (graphql-js then completes the object without a promise), else
 * through modelLoader.
 */
export function modelFor(loaders: Loaders, info: GraphQLResolveInfo, id: string): ModelRow | Promise<ModelRow | null> {
  const known = loaders.summaries.get(id);
  if (known && selectsOnlySummaryModelFields(info)) return known;
  return modelLoader(loaders, info).load(id);
}
