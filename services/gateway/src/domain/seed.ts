import { randomUUID } from "node:crypto";
import { parseModelArtifact } from "@graft/artifacts";
import { BUILTIN_DATASETS, BUILTIN_MODELS, type BuiltinModelKey, builtinSampleTexts } from "@graft/catalog";
import { datasets, models } from "@graft/db";
import { eq } from "drizzle-orm";
import type { DomainDeps } from "./deps.ts";
import { storeBaseModel } from "./store-base-model.ts";

/**
 * Seeds the built-in models and datasets (projectId null: every project reads them, none
 * changes them). Idempotent by builtinKey, and safe when replicas seed at the same time:
 * whoever loses the unique-key race finds the winner's row.
 */
export async function seedBuiltins(
  deps: Pick<DomainDeps, "db" | "store" | "log">,
  modelKeys: readonly BuiltinModelKey[] = BUILTIN_MODELS.map((m) => m.key),
): Promise<void> {
  const { db, log } = deps;
  for (const builtin of BUILTIN_DATASETS) {
    const [seeded] = await db.select({ id: datasets.id }).from(datasets).where(eq(datasets.builtinKey, builtin.key));
    if (seeded) continue;
    await db
      .insert(datasets)
      .values({
        projectId: null,
        name: builtin.name,
        task: builtin.task,
        labels: builtin.labels,
        classCounts: builtin.classCounts,
        sampleCount: builtin.sampleCount,
        sampleShape: builtin.sampleShape,
        source: { kind: "BUILTIN", name: builtin.key },
        sampleTexts: builtin.task === "text-classification" ? await builtinSampleTexts(builtin.key) : null,
        builtinKey: builtin.key,
      })
      .onConflictDoNothing();
  }
  for (const builtin of BUILTIN_MODELS.filter((m) => modelKeys.includes(m.key))) {
    const [existing] = await db.select({ id: models.id }).from(models).where(eq(models.builtinKey, builtin.key));
    if (existing) continue;
    const started = Date.now();
    try {
      const parsed = parseModelArtifact(await builtin.load());
      await storeBaseModel(deps, parsed, {
        id: randomUUID(),
        projectId: null,
        name: builtin.name,
        task: builtin.task,
        labels: builtin.labels,
        preprocessing: builtin.preprocessing,
        featureLayer: builtin.featureLayer,
        provenance: { ...builtin.provenance, description: builtin.description, builtin: builtin.key },
        builtinKey: builtin.key,
      });
      log(`seed: built-in model ${builtin.key} stored in ${Date.now() - started} ms`);
    } catch (error) {
      // A missing built-in must not keep the gateway down; the next start tries again.
      const [raced] = await db.select({ id: models.id }).from(models).where(eq(models.builtinKey, builtin.key));
      if (!raced)
        log(
          `seed: built-in model ${builtin.key} not available: ${error instanceof Error ? error.message : String(error)}`,
        );
    }
  }
}
