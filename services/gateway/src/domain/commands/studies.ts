import { randomUUID } from "node:crypto";
import { CONTROL_KINDS, type ControlKind, MAX_STUDY_RUNS, STUDY_ARMS, type StudyArm } from "@graft/contracts";
import { type ProjectScope, studies } from "@graft/db";
import { z } from "zod";
import type { DomainDeps } from "../deps.ts";
import { BadUserInputError } from "../errors.ts";
import { checkName, parseInput } from "../input.ts";
import type { ModelQueries } from "../models.ts";
import type { StudyRow, StudySpec } from "../studies.ts";
import { controlHyperparameters, type PlannedRun, type RunCommands, type StartFineTuneInput } from "./runs.ts";

/** The FINE_TUNE arm's settings; the control arms derive theirs from them (as startFineTune's controls do). */
export type StudyFineTuneInput = Omit<
  StartFineTuneInput,
  "baseModelId" | "datasetId" | "experimentId" | "name" | "pool" | "epochs" | "seed" | "trainFraction" | "controls"
>;

export interface StartStudyInput {
  name: string;
  baseModelIds: readonly string[];
  datasetId: string;
  fractions: readonly number[];
  arms: readonly string[];
  seeds: readonly number[];
  epochs: number;
  pool?: string | null;
  fineTune?: StudyFineTuneInput | null;
}

/** A non-empty list without repeats (the grid's axes). */
const axis = <T extends z.ZodType>(item: T, what: string) =>
  z
    .array(item)
    .min(1, `the grid needs at least one ${what}`)
    .refine((xs) => new Set(xs).size === xs.length, `names a ${what} twice`);

const gridSchema = z.object({
  baseModelIds: axis(z.string(), "base model"),
  fractions: axis(z.number().gt(0, "a fraction must be in (0, 1]").max(1, "a fraction must be in (0, 1]"), "fraction"),
  arms: axis(z.enum(STUDY_ARMS), "arm"),
  seeds: axis(
    z
      .number()
      .int()
      .min(0)
      .max(2 ** 31 - 1),
    "seed",
  ),
});

/** StartStudyInput.fineTune's fields: prepare() names them as startFineTune's, a study nests them. */
const FINE_TUNE_FIELDS = [
  "batchSize",
  "optimizer",
  "learningRate",
  "freeze",
  "head",
  "unfreezeSchedule",
  "validationSplit",
  "maxSamples",
  "featureLayer",
  "inputSize",
];

/** A refusal of the prepared fine-tune, with the field as the study's input names it. */
function asStudyField(error: unknown): unknown {
  if (!(error instanceof BadUserInputError)) return error;
  const rename = (field: string) => {
    if (field === "input.controls") return "input.arms";
    const nested = FINE_TUNE_FIELDS.some((k) => field === `input.${k}` || field.startsWith(`input.${k}.`));
    return nested ? field.replace(/^input\./, "input.fineTune.") : field;
  };
  const message = error.message.startsWith(`${error.field}:`)
    ? `${rename(error.field)}${error.message.slice(error.field.length)}`
    : error.message;
  return new BadUserInputError(
    rename(error.field),
    message,
    error.issues.map((i) => ({ ...i, field: rename(i.field) })),
    { cause: error },
  );
}

const DISPATCH_ORDER: readonly (StudyArm | null | undefined)[] = ["FINE_TUNE", "LINEAR_PROBE", "SCRATCH"];

const armLabel: Record<StudyArm, string> = { FINE_TUNE: "fine-tune", SCRATCH: "scratch", LINEAR_PROBE: "linear probe" };

export class StudyCommands {
  constructor(
    private readonly deps: DomainDeps,
    private readonly scope: ProjectScope,
    private readonly runCommands: RunCommands,
    private readonly models: ModelQueries,
  ) {}

  /**
   * Expands the grid (bases x fractions x arms x seeds) into exactly that many runs, every
   * arm of a (base, fraction, seed) on the same split; validates all of it first, stores the
   * study and its runs in one transaction, then publishes the jobs.
   */
  async start(input: StartStudyInput): Promise<StudyRow> {
    const name = checkName(input.name, "input.name");
    const grid = parseInput(gridSchema, input, "input");
    const total = grid.baseModelIds.length * grid.fractions.length * grid.arms.length * grid.seeds.length;
    if (total > MAX_STUDY_RUNS)
      throw new BadUserInputError(
        "input",
        `the grid is ${grid.baseModelIds.length} bases x ${grid.fractions.length} fractions x ${grid.arms.length} arms x ${grid.seeds.length} seeds = ${total} runs; a study runs at most ${MAX_STUDY_RUNS}`,
      );
    if (input.fineTune?.validationSplit === 0)
      throw new BadUserInputError(
        "input.fineTune.validationSplit",
        "a study compares validation accuracy: validationSplit must be > 0",
      );
    const controls = grid.arms.filter((a): a is ControlKind => (CONTROL_KINDS as readonly string[]).includes(a));
    // The fine-tune first: its controls reference it.
    const arms = STUDY_ARMS.filter((a) => grid.arms.includes(a));
    const studyId = randomUUID();
    const planned: PlannedRun[] = [];
    let datasetId = input.datasetId;
    for (const [i, baseModelId] of grid.baseModelIds.entries()) {
      await this.models.get(baseModelId, `input.baseModelIds.${i}`);
      // One validation per base (its defaults, its cut point, controls that fit); seed and fraction vary below.
      const prepared = await this.runCommands
        .prepare({
          ...input.fineTune,
          baseModelId,
          datasetId: input.datasetId,
          pool: input.pool,
          epochs: input.epochs,
          controls,
        })
        .catch((error: unknown) => Promise.reject(asStudyField(error)));
      datasetId = prepared.dataset.id;
      for (const fraction of grid.fractions)
        for (const seed of grid.seeds) {
          const hp = { ...prepared.hyperparameters, seed, trainFraction: fraction };
          const fineTuneId = grid.arms.includes("FINE_TUNE") ? randomUUID() : null;
          for (const arm of arms) {
            const runName = `${name} · ${prepared.base.name} · ${armLabel[arm]} · ${fraction * 100}% · seed ${seed}`;
            const armHp = arm === "FINE_TUNE" ? hp : controlHyperparameters(arm, hp);
            const run = this.runCommands.plan(
              prepared,
              arm === "FINE_TUNE" ? (fineTuneId as string) : randomUUID(),
              armHp,
              runName,
            );
            run.values.studyId = studyId;
            run.values.studyArm = arm;
            // Controls of a fine-tune in the grid hang under it, so its run page shows the transfer gain.
            if (arm !== "FINE_TUNE" && fineTuneId) {
              run.controlOf = fineTuneId;
              run.controlKind = arm;
            }
            planned.push(run);
          }
        }
    }
    // Queued cheapest arm first (a trainer takes jobs in order): the frozen fine-tunes and
    // linear probes train a head on cached features, scratch trains every layer, so a study
    // cut short by a budget or a cancel loses scratch runs, not the cheap ones behind them.
    // Fine-tunes stay before their controls, which reference them.
    planned.sort((a, b) => DISPATCH_ORDER.indexOf(a.values.studyArm) - DISPATCH_ORDER.indexOf(b.values.studyArm));
    const spec: StudySpec = { ...grid, epochs: input.epochs };
    let study: StudyRow | undefined;
    await this.runCommands.storeAndDispatch(planned, async (tx) => {
      [study] = await tx
        .insert(studies)
        .values({ id: studyId, projectId: this.scope.projectId, name, datasetId, spec: { ...spec } })
        .returning();
    });
    if (!study) throw new Error("insert into studies returned nothing");
    this.deps.log(`study ${studyId}: started ${planned.length} runs`);
    return study;
  }
}
