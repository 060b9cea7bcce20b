import type { GraphQLResolveInfo } from "graphql";

/**
 * Model fields answered from a model row without its layer list and provenance (the bulk of a
 * row: a MobileNetV2 lists 150 layers with their weight hashes). `featureLayerCandidates` and
 * `fineTuneDefaults` read the layers, so they are not here.
 */
const LIGHT_MODEL_FIELDS = new Set([
  "__typename",
  "id",
  "name",
  "kind",
  "architecture",
  "task",
  "inputShape",
  "labels",
  "preprocessing",
  "featureLayer",
  "paramCount",
  "sizeBytes",
  "verifiedLineage",
  "createdAt",
]);

/**
 * Whether the selection on this Model field reads only light fields. Anything else (another
 * field, a fragment, a directive that might change what is read) asks for the full row, so a
 * new field is safe by default.
 */
export function selectsOnlyLightModelFields(info: GraphQLResolveInfo): boolean {
  return info.fieldNodes.every((node) =>
    (node.selectionSet?.selections ?? []).every(
      (s) => s.kind === "Field" && !s.directives?.length && LIGHT_MODEL_FIELDS.has(s.name.value),
    ),
  );
}
