import { GraftApiError, type GraftClient, type ModelSummary, type Ref } from "@graft/client";

// "digits-cnn", "Digits CNN" and "digits_cnn" all name the same thing on a command line.
const slug = (text: string) =>
  text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "");

function pick<T extends { id: string; name: string }>(kind: string, ref: string, items: T[], field: string): T {
  const byId = items.find((i) => i.id === ref);
  if (byId) return byId;
  const exact = items.filter((i) => i.name === ref);
  const matches = exact.length > 0 ? exact : items.filter((i) => slug(i.name) === slug(ref));
  if (matches.length === 1 && matches[0]) return matches[0];
  if (matches.length > 1) {
    throw new GraftApiError(
      "BAD_USER_INPUT",
      `${kind} "${ref}" is ambiguous: ${matches.map((m) => `${m.name} (${m.id})`).join(", ")}; pass an id`,
      field,
    );
  }
  throw new GraftApiError("NOT_FOUND", `no ${kind} named or with id "${ref}"`, field);
}

/** A model by id or by name; ambiguous names are refused with the candidates listed. */
export async function resolveModel(client: GraftClient, ref: string, field = "base"): Promise<ModelSummary> {
  return pick("model", ref, await client.models(), field);
}

export async function resolveDataset(
  client: GraftClient,
  ref: string,
  field = "dataset",
): Promise<Ref & { task: string }> {
  return pick("dataset", ref, await client.datasetRefs(), field);
}

export async function resolveExperimentId(client: GraftClient, ref: string): Promise<string> {
  return pick("experiment", ref, await client.experimentRefs(), "experiment").id;
}
