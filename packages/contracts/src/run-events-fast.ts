import { isIdToken } from "./ids.ts";

/**
 * The epoch event, the one nearly every run-events message carries, checked by hand. Through
 * zod it cost 28-44 ms of ingest's thread per 10,000 events (its generic object, union and
 * check machinery), and on PGlite that thread also runs the database; this costs a few.
 *
 * It accepts only what `runEventSchema` accepts, and returns what zod would: a new object with
 * the schema's keys in the schema's order, unknown keys dropped. Anything else gives
 * `undefined`, and the caller runs zod, which decides and says why (messages.test.ts holds the
 * two side by side over valid events and their mutations).
 */
export function epochEventFast(value: unknown, timestamp: RegExp): EpochEvent | undefined {
  if (!isRecord(value) || value.type !== "epoch") return undefined;
  const { runId, attempt, trainerId, at, claim, epoch, metrics } = value;
  if (!isIdToken(runId) || !isIdToken(trainerId) || !positiveInt32(attempt) || !positiveInt32(epoch)) return undefined;
  if (typeof at !== "string" || !timestamp.test(at) || typeof claim !== "string" || !CLAIM.test(claim))
    return undefined;
  if (!isRecord(metrics)) return undefined;
  // zod's output: the schema's keys in its order, unknown ones dropped.
  const m = {
    loss: metrics.loss,
    accuracy: metrics.accuracy,
    valLoss: metrics.valLoss,
    valAccuracy: metrics.valAccuracy,
    learningRate: metrics.learningRate,
    durationMs: metrics.durationMs,
    samplesPerSecond: metrics.samplesPerSecond,
    trainableParams: metrics.trainableParams,
    frozenLayers: metrics.frozenLayers,
  };
  if (!finite(m.loss) || !finiteOrNull(m.accuracy) || !finiteOrNull(m.valLoss) || !finiteOrNull(m.valAccuracy))
    return undefined;
  if (!finite(m.learningRate) || !(finite(m.durationMs) && m.durationMs >= 0)) return undefined;
  if (!(finite(m.samplesPerSecond) && m.samplesPerSecond >= 0)) return undefined;
  if (!nonNegativeInt(m.trainableParams) || !nonNegativeInt(m.frozenLayers)) return undefined;
  // Every field was checked just above; TypeScript does not carry those checks to the object.
  return { type: "epoch", runId, attempt, trainerId, at, claim, epoch, metrics: m as EpochEvent["metrics"] };
}

/** The epoch event as `runEventSchema` returns it (spelled out here: messages.ts imports this file). */
interface EpochEvent {
  type: "epoch";
  runId: string;
  attempt: number;
  trainerId: string;
  at: string;
  claim: string;
  epoch: number;
  metrics: {
    loss: number;
    accuracy: number | null;
    valLoss: number | null;
    valAccuracy: number | null;
    learningRate: number;
    durationMs: number;
    samplesPerSecond: number;
    trainableParams: number;
    frozenLayers: number;
  };
}

const CLAIM = /^[0-9a-f]{64}$/;

// zod's object accepts any non-null, non-array object; JSON.parse makes only plain ones.
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
// zod 4's number() refuses NaN and the infinities; int() means a safe integer.
const finite = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);
const finiteOrNull = (v: unknown): v is number | null => v === null || finite(v);
const nonNegativeInt = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
const positiveInt32 = (v: unknown): v is number =>
  typeof v === "number" && Number.isInteger(v) && v >= 1 && v <= 2 ** 31 - 1;
