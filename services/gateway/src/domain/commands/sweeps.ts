import { randomUUID } from "node:crypto";
import {
  ashaRungs,
  higherIsBetter,
  MAX_SWEEP_TRIALS,
  METRIC_NAMES,
  SWEEP_GOALS,
  SWEEP_METHODS,
  type SweepGoal,
} from "@graft/contracts";
import type { ProjectScope } from "@graft/db";
import { z } from "zod";
import type { DomainDeps } from "../deps.ts";
import { BadUserInputError, ConflictError } from "../errors.ts";
import { checkName, checkPool, parseInput } from "../input.ts";
import type { ModelQueries } from "../models.ts";
import { cancelSweepRow, insertSweep, type PlannedTrial, type SweepRow, type SweepSpec } from "../sweep-ledger.ts";
import { advanceAndAct } from "../sweep-scheduler.ts";
import { planTrials, trialInput } from "../sweep-space.ts";
import type { SweepQueries } from "../sweeps.ts";
import type { RunCommands } from "./runs.ts";
import type { StudyFineTuneInput } from "./studies.ts";

export interface StartSweepInput {
  name: string;
  baseModelId: string;
  datasetId: string;
  pool?: string | null;
  method: string;
  seed?: number | null;
  space: unknown;
  maxEpochs: number;
  maxTrials?: number | null;
  maxConcurrentTrials?: number | null;
  metric?: string | null;
  goal?: string | null;
  asha?: { reductionFactor?: number | null; minEpochs?: number | null } | null;
  /** Settings every trial shares; the space's parameters override them per trial. */
  fineTune?: StudyFineTuneInput | null;
}

const settingsSchema = z.object({
  method: z.enum(SWEEP_METHODS),
  seed: z
    .number()
    .int()
    .min(0)
    .max(2 ** 31 - 1)
    .default(0),
  maxEpochs: z.number().int().min(1).max(1000),
  maxConcurrentTrials: z.number().int().min(1).max(MAX_SWEEP_TRIALS).default(2),
  metric: z.enum(METRIC_NAMES).default("valAccuracy"),
  goal: z.enum(SWEEP_GOALS).optional(),
  asha: z
    .object({
      reductionFactor: z.number().int().min(2).max(10).default(3),
      minEpochs: z.number().int().min(1).max(1000).default(1),
    })
    .nullable()
    .default(null),
});

const orUndefined = <T>(v: T | null | undefined): T | undefined => v ?? undefined;

/** A refusal of one trial's fine-tune, saying which trial (its parameters) it was. */
function asTrialError(error: unknown, trial: number, params: unknown): unknown {
  if (!(error instanceof BadUserInputError)) return error;
  const message = `${error.message} (trial ${trial + 1}: ${JSON.stringify(params)})`;
  return new BadUserInputError(error.field, message, error.issues, { cause: error });
}

export class SweepCommands {
  constructor(
    private readonly deps: DomainDeps,
    private readonly scope: ProjectScope,
    private readonly q: { runCommands: RunCommands; models: ModelQueries; sweeps: SweepQueries },
  ) {}

  /**
   * Plans every trial (grid points or seeded draws), validates each as a fine-tune of the
   * base, stores the sweep with all of them in one transaction, then launches the first
   * maxConcurrentTrials. Any refusal (typed, BAD_USER_INPUT or NOT_FOUND) stores nothing.
   */
  async start(input: StartSweepInput): Promise<SweepRow> {
    const name = checkName(input.name, "input.name");
    const settings = parseInput(
      settingsSchema,
      {
        method: input.method,
        seed: orUndefined(input.seed),
        maxEpochs: input.maxEpochs,
        maxConcurrentTrials: orUndefined(input.maxConcurrentTrials),
        metric: orUndefined(input.metric),
        goal: orUndefined(input.goal),
        asha: input.asha
          ? { reductionFactor: orUndefined(input.asha.reductionFactor), minEpochs: orUndefined(input.asha.minEpochs) }
          : null,
      },
      "input",
    );
    if (settings.asha && settings.asha.minEpochs >= settings.maxEpochs)
      throw new BadUserInputError(
        "input.asha.minEpochs",
        `input.asha.minEpochs is ${settings.asha.minEpochs}: ASHA's first rung must come before maxEpochs (${settings.maxEpochs})`,
      );
    if (settings.metric.startsWith("val") && input.fineTune?.validationSplit === 0)
      throw new BadUserInputError(
        "input.fineTune.validationSplit",
        `the sweep's metric ${settings.metric} needs a validation split: validationSplit must be > 0`,
      );
    const pool = checkPool(input.pool, "input.pool");
    const plans = planTrials(settings.method, input.space, {
      maxTrials: input.maxTrials ?? null,
      seed: settings.seed,
    });
    const base = await this.q.models.get(input.baseModelId, "input.baseModelId");

    const trials: PlannedTrial[] = [];
    let datasetId = input.datasetId;
    for (const [i, params] of plans.entries()) {
      const prepared = await this.q.runCommands
        .prepare({
          ...trialInput({ ...input.fineTune }, params),
          baseModelId: input.baseModelId,
          datasetId: input.datasetId,
          pool,
          epochs: settings.maxEpochs,
        })
        .catch((error: unknown) => Promise.reject(asTrialError(error, i, params)));
      datasetId = prepared.dataset.id;
      trials.push({ params, hyperparameters: prepared.hyperparameters });
    }

    const goal: SweepGoal = settings.goal ?? (higherIsBetter(settings.metric) ? "MAXIMIZE" : "MINIMIZE");
    const rungs = settings.asha
      ? ashaRungs(settings.asha.minEpochs, settings.maxEpochs, settings.asha.reductionFactor)
      : [];
    const spec: SweepSpec = {
      method: settings.method,
      seed: settings.seed,
      space: input.space as Record<string, unknown>,
      maxEpochs: settings.maxEpochs,
      maxTrials: input.maxTrials ?? null,
      maxConcurrentTrials: settings.maxConcurrentTrials,
      metric: settings.metric,
      goal,
      asha: settings.asha,
      rungs,
    };
    const id = randomUUID();
    await insertSweep(
      this.deps.db,
      {
        id,
        projectId: this.scope.projectId,
        name,
        baseModelId: base.id,
        datasetId,
        pool,
        spec: { ...spec },
        trialCount: trials.length,
      },
      trials,
    );
    this.deps.log(`sweep ${id}: planned ${trials.length} trials (${settings.method})`);
    await advanceAndAct(this.deps, id);
    return await this.q.sweeps.get(id);
  }

  /** No more trials start; the active ones are cancelled. Only a RUNNING sweep can be cancelled. */
  async cancel(id: string): Promise<SweepRow> {
    const sweep = await this.q.sweeps.get(id);
    const active = await cancelSweepRow(this.deps.db, sweep.id);
    if (active === null)
      throw new ConflictError(`sweep ${sweep.id} is ${sweep.status}; only a running sweep can be cancelled`);
    for (const runId of active)
      await this.q.runCommands.cancel(runId, "the sweep was cancelled").catch((error: unknown) => {
        if (!(error instanceof ConflictError)) throw error;
      });
    this.deps.events?.publishSweepUpdate(sweep.id, "CANCELLED");
    return await this.q.sweeps.get(sweep.id);
  }
}
