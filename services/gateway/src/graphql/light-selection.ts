import type { GraphQLResolveInfo } from "graphql";

/**
 * Model fields answered from a model's summary (@graft/db `ModelSummary`: no layers, labels,
 * shapes or provenance): its own columns there, and relations that read only its ids (the
 * nested selection picks its own loader).
 */
const SUMMARY_MODEL_FIELDS = new Set([
  "__typename",
  "id",
  "name",
  "kind",
  "architecture",
  "verifiedLineage",
  "lineageReason",
  "initialization",
  "createdAt",
  "parent",
  "children",
  "ancestors",
  "descendants",
  "siblings",
  "producedBy",
  "forkedFrom",
  "bestMetric",
]);

/**
 * Model fields answered from a model row without its layer list and provenance (the bulk of a
 * row: a MobileNetV2 lists 150 layers with their weight hashes). `featureLayerCandidates` and
 * `fineTuneDefaults` read the layers, so they are not here.
 */
const LIGHT_MODEL_FIELDS = new Set([
  ...SUMMARY_MODEL_FIELDS,
  "task",
  "inputShape",
  "labels",
  "preprocessing",
  "featureLayer",
  "paramCount",
  "sizeBytes",
]);

/**
 * Whether the selection on this Model field reads only light fields. Anything else (another
 * field, a fragment, a directive that might change what is read) asks for the full row, so a
 * new field is safe by default.
 */
export function selectsOnlyLightModelFields(info: GraphQLResolveInfo): boolean {
  return selectsOnly(info, LIGHT_MODEL_FIELDS);
}

/** Whether the selection on this Model field reads only summary fields; as safe as the light check. */
export function selectsOnlySummaryModelFields(info: GraphQLResolveInfo): boolean {
  return selectsOnly(info, SUMMARY_MODEL_FIELDS);
}

function selectsOnly(info: GraphQLResolveInfo, fields: ReadonlySet<string>): boolean {
  return info.fieldNodes.every((node) =>
    (node.selectionSet?.selections ?? []).every(
      (s) => s.kind === "Field" && !s.directives?.length && fields.has(s.name.value),
    ),
  );
}
