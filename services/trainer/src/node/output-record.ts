import { type ArtifactStore, modelArtifactKey } from "@graft/artifacts";
import type { RunEvent } from "@graft/contracts";
import { runEventSchema } from "@graft/contracts";

export type SucceededBody = Omit<
  Extract<RunEvent, { type: "succeeded" }>,
  "runId" | "attempt" | "trainerId" | "at" | "claim"
>;

/**
 * The `succeeded` report of a run, stored beside its output model before it is announced.
 * If the trainer dies (or its ack is lost) after saving the model, the redelivered job finds
 * this record and reports the same result instead of training again and overwriting a model
 * whose hashes the gateway may already have recorded.
 */
const recordKey = (outputModelId: string) => `${modelArtifactKey(outputModelId)}/succeeded.json`;

export async function saveOutputRecord(store: ArtifactStore, outputModelId: string, body: SucceededBody) {
  await store.put(recordKey(outputModelId), new TextEncoder().encode(JSON.stringify(body)));
}

export async function loadOutputRecord(store: ArtifactStore, outputModelId: string): Promise<SucceededBody | null> {
  const bytes = await store.get(recordKey(outputModelId));
  if (!bytes) return null;
  try {
    const probe = {
      ...JSON.parse(new TextDecoder().decode(bytes)),
      runId: "r",
      attempt: 1,
      trainerId: "t",
      at: new Date().toISOString(),
    };
    const parsed = runEventSchema.safeParse(probe);
    if (!parsed.success || parsed.data.type !== "succeeded") return null;
    const { runId: _r, attempt: _a, trainerId: _t, at: _at, ...body } = parsed.data;
    return body;
  } catch {
    return null;
  }
}
