import { FREEZE_STRATEGIES, MAX_SWEEP_TRIALS, OPTIMIZERS, type SweepMethod, seededRandom } from "@graft/contracts";
import { z } from "zod";
import { BadUserInputError } from "./errors.ts";
import { parseInput } from "./input.ts";

/**
 * A sweep's search space: for each swept hyperparameter either a list of values (GRID or
 * RANDOM) or a range (RANDOM only: uniform, or log-uniform with scale LOG). Trials are the
 * grid's points in order (first parameter slowest) or seeded draws, so a sweep's trials are
 * known, stored and validated before the first one runs.
 */

const finite = z.number().refine(Number.isFinite, "must be a finite number");

const floatParam = z
  .object({
    values: z.array(finite).min(1, "values must not be empty").max(MAX_SWEEP_TRIALS).optional(),
    min: finite.optional(),
    max: finite.optional(),
    scale: z.enum(["LINEAR", "LOG"]).default("LINEAR"),
  })
  .superRefine((p, ctx) => rangeIssues(p, ctx));

const intParam = z
  .object({
    values: z.array(z.number().int()).min(1, "values must not be empty").max(MAX_SWEEP_TRIALS).optional(),
    min: z.number().int().optional(),
    max: z.number().int().optional(),
  })
  .superRefine((p, ctx) => rangeIssues({ ...p, scale: "LINEAR" }, ctx));

function rangeIssues(
  p: { values?: number[] | undefined; min?: number | undefined; max?: number | undefined; scale: string },
  ctx: z.RefinementCtx,
): void {
  const hasRange = p.min !== undefined || p.max !== undefined;
  if (p.values && hasRange) ctx.addIssue({ code: "custom", message: "give either values or min/max, not both" });
  else if (!p.values && !hasRange) ctx.addIssue({ code: "custom", message: "give values, or min and max" });
  else if (hasRange) {
    if (p.min === undefined || p.max === undefined)
      ctx.addIssue({ code: "custom", message: "a range needs both min and max" });
    else if (!(p.min < p.max)) ctx.addIssue({ code: "custom", path: ["max"], message: "max must be above min" });
    else if (p.scale === "LOG" && p.min <= 0)
      ctx.addIssue({ code: "custom", path: ["min"], message: "a LOG range needs min > 0" });
  }
  if (p.values && new Set(p.values).size !== p.values.length)
    ctx.addIssue({ code: "custom", path: ["values"], message: "names a value twice" });
}

const listOf = <T extends z.ZodType>(item: T) =>
  z.array(item).min(1, "must not be empty").max(MAX_SWEEP_TRIALS, `at most ${MAX_SWEEP_TRIALS} values`);

export const sweepSpaceSchema = z
  .object({
    learningRate: floatParam.optional(),
    hiddenUnits: intParam.optional(),
    dropout: floatParam.optional(),
    batchSize: intParam.optional(),
    optimizer: listOf(z.enum(OPTIMIZERS)).optional(),
    freeze: listOf(
      z.object({ strategy: z.enum(FREEZE_STRATEGIES), layers: z.number().int().nullable().optional() }),
    ).optional(),
    featureLayer: listOf(z.string().min(1).max(200)).optional(),
    unfreezeSchedule: listOf(
      z.array(z.object({ epoch: z.number().int(), layers: z.number().int() })).max(100),
    ).optional(),
  })
  .refine(
    (s) => Object.values(s).some((v) => v !== undefined),
    "the space sweeps nothing: name at least one parameter",
  );

export type SweepSpace = z.infer<typeof sweepSpaceSchema>;
export type SweepParamName = keyof SweepSpace;
/** One trial's values, by parameter name (only the swept ones). */
export type SweepParams = Partial<Record<SweepParamName, unknown>>;

/** Grid order: the first parameter changes slowest. */
const PARAM_ORDER: SweepParamName[] = [
  "learningRate",
  "optimizer",
  "batchSize",
  "freeze",
  "featureLayer",
  "unfreezeSchedule",
  "hiddenUnits",
  "dropout",
];

/** Four significant digits: a drawn learning rate reads 0.0003162, not 0.000316227766. */
const tidy = (x: number) => Number(x.toPrecision(4));

/** The listed values of a parameter, or null for a range. */
function valuesOf(space: SweepSpace, name: SweepParamName): unknown[] | null {
  const p = space[name];
  if (p === undefined) return null;
  if (Array.isArray(p)) return p;
  return (p as { values?: unknown[] }).values ?? null;
}

function draw(space: SweepSpace, name: SweepParamName, random: () => number): unknown {
  const listed = valuesOf(space, name);
  if (listed) return listed[Math.floor(random() * listed.length)];
  const p = space[name] as { min: number; max: number; scale?: string };
  if (name === "hiddenUnits" || name === "batchSize") return p.min + Math.floor(random() * (p.max - p.min + 1));
  if (p.scale === "LOG") return tidy(Math.exp(Math.log(p.min) + random() * (Math.log(p.max) - Math.log(p.min))));
  return tidy(p.min + random() * (p.max - p.min));
}

/**
 * The trials a sweep will run, in order. GRID: every point, and `maxTrials` (if given) must
 * hold them all; RANDOM: exactly `maxTrials` draws. Throws BAD_USER_INPUT for a space that
 * cannot be swept that way; nothing is stored before this returns.
 */
export function planTrials(
  method: SweepMethod,
  rawSpace: unknown,
  opts: { maxTrials: number | null; seed: number },
): SweepParams[] {
  const space = parseInput(sweepSpaceSchema, rawSpace, "input.space");
  const swept = PARAM_ORDER.filter((name) => space[name] !== undefined);
  if (opts.maxTrials !== null && !(Number.isInteger(opts.maxTrials) && opts.maxTrials >= 1))
    throw new BadUserInputError("input.maxTrials", "input.maxTrials must be a whole number >= 1");
  if (opts.maxTrials !== null && opts.maxTrials > MAX_SWEEP_TRIALS)
    throw new BadUserInputError(
      "input.maxTrials",
      `input.maxTrials is ${opts.maxTrials}; a sweep runs at most ${MAX_SWEEP_TRIALS} trials`,
    );
  if (method === "RANDOM") {
    if (opts.maxTrials === null)
      throw new BadUserInputError("input.maxTrials", "a RANDOM sweep needs maxTrials: how many trials to draw");
    const random = seededRandom(opts.seed);
    return Array.from({ length: opts.maxTrials }, () =>
      Object.fromEntries(swept.map((name) => [name, draw(space, name, random)])),
    );
  }
  const axes = swept.map((name) => {
    const listed = valuesOf(space, name);
    if (!listed)
      throw new BadUserInputError(
        `input.space.${name}`,
        `input.space.${name}: a GRID sweep needs listed values, not a range (ranges are for RANDOM)`,
      );
    return { name, listed };
  });
  const size = axes.reduce((n, a) => n * a.listed.length, 1);
  const cap = opts.maxTrials ?? MAX_SWEEP_TRIALS;
  if (size > cap)
    throw new BadUserInputError(
      opts.maxTrials === null ? "input.space" : "input.maxTrials",
      `the grid has ${axes.map((a) => a.listed.length).join(" x ")} = ${size} points, more than ${
        opts.maxTrials === null ? `a sweep's ${MAX_SWEEP_TRIALS}` : `maxTrials (${opts.maxTrials})`
      }: shrink the grid, raise maxTrials, or use RANDOM`,
    );
  let points: SweepParams[] = [{}];
  for (const { name, listed } of axes) points = points.flatMap((p) => listed.map((v) => ({ ...p, [name]: v })));
  return points;
}

/** A trial's parameters as startFineTune input fields, over the sweep's fixed settings. */
export function trialInput<T extends { head?: { hiddenUnits?: number | null; dropout?: number | null } | null }>(
  fixed: T,
  params: SweepParams,
): T & Record<string, unknown> {
  const out: Record<string, unknown> = { ...fixed };
  for (const [name, value] of Object.entries(params)) {
    if (name === "hiddenUnits" || name === "dropout") out.head = { ...(out.head as object | undefined), [name]: value };
    else out[name] = value;
  }
  return out as T & Record<string, unknown>;
}
