import type { Db } from "./client.ts";
import type { Page } from "./pagination.ts";
import { datasets, models, projects, runs } from "./schema.ts";

// Small valid rows for this package's tests; only the columns a test cares about vary.

export async function insertProject(db: Db, name: string): Promise<string> {
  const [row] = await db.insert(projects).values({ name }).returning({ id: projects.id });
  if (row === undefined) throw new Error("project insert returned nothing");
  return row.id;
}

export async function insertModel(
  db: Db,
  fields: { name: string; projectId: string | null; parentId?: string | null; createdAt?: Date },
): Promise<string> {
  const [row] = await db
    .insert(models)
    .values({
      name: fields.name,
      projectId: fields.projectId,
      parentId: fields.parentId ?? null,
      kind: fields.parentId ? "FINE_TUNED" : "BASE",
      architecture: "digits-cnn",
      task: "image-classification",
      inputShape: [28, 28, 1],
      labels: ["0", "1"],
      preprocessing: { inputRange: [0, 1], channels: 1 },
      layers: [],
      paramCount: 10,
      sizeBytes: 40,
      artifactKey: `models/${fields.name}`,
      ...(fields.createdAt ? { createdAt: fields.createdAt } : {}),
    })
    .returning({ id: models.id });
  if (row === undefined) throw new Error("model insert returned nothing");
  return row.id;
}

export async function insertDataset(db: Db, projectId: string | null): Promise<string> {
  const [row] = await db
    .insert(datasets)
    .values({
      projectId,
      name: `d-${Math.random()}`,
      task: "image-classification",
      labels: ["0", "1"],
      classCounts: [1, 1],
      sampleCount: 2,
      sampleShape: [28, 28, 1],
      source: { kind: "BUILTIN", name: "mnist" },
    })
    .returning({ id: datasets.id });
  if (row === undefined) throw new Error("dataset insert returned nothing");
  return row.id;
}

export async function insertRun(
  db: Db,
  fields: {
    projectId: string;
    baseModelId: string;
    datasetId: string;
    queuedAt?: Date;
    status?: (typeof runs.$inferInsert)["status"];
    bestValAccuracy?: number | null;
  },
): Promise<string> {
  const [row] = await db
    .insert(runs)
    .values({
      projectId: fields.projectId,
      baseModelId: fields.baseModelId,
      datasetId: fields.datasetId,
      pool: "default",
      status: fields.status ?? "QUEUED",
      epochs: 3,
      batchSize: 32,
      optimizer: "ADAM",
      learningRate: 0.001,
      freezeStrategy: "ALL_BASE",
      seed: 1,
      hyperparameters: {},
      outputModelId: crypto.randomUUID(),
      bestValAccuracy: fields.bestValAccuracy ?? null,
      ...(fields.queuedAt ? { queuedAt: fields.queuedAt } : {}),
    })
    .returning({ id: runs.id });
  if (row === undefined) throw new Error("run insert returned nothing");
  return row.id;
}

/** The ids of every page of a list, following `endCursor` from the first page to the last. */
export async function pageIds(read: (after: string | null) => Promise<Page<{ id: string }>>): Promise<string[][]> {
  const pages: string[][] = [];
  let after: string | null = null;
  for (;;) {
    const page = await read(after);
    pages.push(page.edges.map((e) => e.node.id));
    if (!page.pageInfo.hasNextPage) return pages;
    after = page.pageInfo.endCursor;
  }
}
