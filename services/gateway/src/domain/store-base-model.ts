import { MODEL_FILES, modelArtifactKey, type ParsedModel, putModel, sha256Hex } from "@graft/artifacts";
import type { Preprocessing } from "@graft/contracts";
import { artifacts, type Db, models } from "@graft/db";
import type { DomainDeps } from "./deps.ts";
import type { ModelRow } from "./rows.ts";

export interface BaseModelFields {
  id: string;
  projectId: string | null;
  name: string;
  task: string;
  labels: string[];
  preprocessing: Preprocessing;
  featureLayer: string | null;
  provenance: Record<string, unknown> | null;
  builtinKey?: string;
}

/** Writes the artifact (its sha256 is over the weights) under the model's id-derived key, then its BASE row; the artifact goes if the row fails. */
export async function storeBaseModel(
  deps: Pick<DomainDeps, "store"> & { db: Db },
  parsed: ParsedModel,
  fields: BaseModelFields,
): Promise<ModelRow> {
  const key = modelArtifactKey(fields.id);
  const { sizeBytes } = await putModel(deps.store, key, parsed.artifact);
  try {
    return await deps.db.transaction(async (tx) => {
      await tx.insert(artifacts).values({
        key,
        projectId: fields.projectId,
        kind: "model",
        sizeBytes,
        sha256: sha256Hex(parsed.artifact.weights),
      });
      const [row] = await tx
        .insert(models)
        .values({
          id: fields.id,
          projectId: fields.projectId,
          name: fields.name,
          kind: "BASE",
          architecture: parsed.architecture,
          task: fields.task,
          inputShape: parsed.inputShape,
          labels: fields.labels,
          preprocessing: fields.preprocessing,
          featureLayer: fields.featureLayer,
          layers: parsed.layers.map((l, index) => ({ index, ...l })),
          paramCount: parsed.paramCount,
          sizeBytes,
          artifactKey: key,
          provenance: fields.provenance,
          builtinKey: fields.builtinKey ?? null,
        })
        .returning();
      if (!row) throw new Error("insert into models returned nothing");
      return row;
    });
  } catch (error) {
    for (const file of MODEL_FILES) await deps.store.delete(`${key}/${file}`).catch(() => {});
    throw error;
  }
}
