import type { ApolloServerPlugin } from "@apollo/server";
import { ApolloArmor } from "@escape.tech/graphql-armor";
import {
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type FragmentSpreadNode,
  GraphQLError,
  type GraphQLField,
  GraphQLIncludeDirective,
  type GraphQLSchema,
  GraphQLSkipDirective,
  getDirectiveValues,
  getNamedType,
  getNullableType,
  getVariableValues,
  type InlineFragmentNode,
  isInterfaceType,
  isListType,
  isObjectType,
  Kind,
  NoSchemaIntrospectionCustomRule,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValidationRule,
  valueFromAST,
} from "graphql";

/**
 * The limits every GraphQL operation meets, over HTTP and graphql-ws alike: GraphQL Armor's
 * token, depth, alias and directive limits and its field-count cost, at Armor's defaults
 * except where a comment says why, plus a cost that counts what lists really return.
 */
export interface OperationLimits {
  /** Lexical tokens in a document, checked while parsing. @default 1000 (Armor's) */
  maxTokens: number;
  /** Field depth, fragments flattened. @default 8 */
  maxDepth: number;
  /** Depth inside `__schema` / `__type` (the standard introspection query needs 13). @default 15 */
  maxIntrospectionDepth: number;
  /** Estimated objects an operation may return (see operationCost). @default 10_000 */
  maxListCost: number;
  /** Size assumed for a list field that takes no `first`. @default 20 */
  assumedListSize: number;
  /** Whether __schema / __type are answered at all. */
  introspection: boolean;
}

export const DEFAULT_OPERATION_LIMITS: Omit<OperationLimits, "introspection"> = {
  maxTokens: 1000,
  // Armor's default is 6 counting fragment spreads as a level; the dashboard's lineage view
  // needs 6 real levels, so fragments are flattened (they add no work) and 8 leaves headroom.
  maxDepth: 8,
  maxIntrospectionDepth: 15,
  maxListCost: 10_000,
  assumedListSize: 20,
};

/** A refused operation: HTTP 400 and a GraphQL code a client can act on. */
function limitError(message: string): GraphQLError {
  return new GraphQLError(message, {
    extensions: { code: "GRAPHQL_VALIDATION_FAILED", http: { status: 400 } },
  });
}

/**
 * Armor's protections for Apollo and the same validation rules for graphql-ws;
 * `introspectionRules` are for graphql-ws only (Apollo's `introspection` option adds its own).
 */
export function createArmor(limits: OperationLimits) {
  const armor = new ApolloArmor({
    maxDepth: { n: limits.maxDepth, flattenFragments: true },
    maxAliases: {},
    costLimit: {},
    maxDirectives: {},
    // Tokens are limited by graphql-js's own parser option (parseOptions / parse), which
    // fails as a syntax error (400); Armor's Apollo plugin throws from parsingDidStart,
    // which Apollo answers with HTTP 500.
    maxTokens: { enabled: false },
    blockFieldSuggestion: { enabled: true },
  }).protect();
  const validationRules: ValidationRule[] = [
    ...armor.validationRules,
    introspectionDepthRule(limits.maxIntrospectionDepth),
  ];
  const introspectionRules = limits.introspection ? [] : [NoSchemaIntrospectionCustomRule];
  return { plugins: armor.plugins, validationRules, introspectionRules };
}

/** `__schema { types { fields { type { fields ...` to any depth is refused past `max` levels. */
function introspectionDepthRule(max: number): ValidationRule {
  return (context) => {
    const fragments = new Map(
      context
        .getDocument()
        .definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION)
        .map((d) => [d.name.value, d]),
    );
    const depthOf = (set: SelectionSetNode | undefined, seen: Set<string>): number => {
      if (!set) return 0;
      let deepest = 0;
      for (const s of set.selections) {
        if (s.kind === Kind.FIELD) deepest = Math.max(deepest, 1 + depthOf(s.selectionSet, seen));
        else if (s.kind === Kind.INLINE_FRAGMENT) deepest = Math.max(deepest, depthOf(s.selectionSet, seen));
        else if (!seen.has(s.name.value)) {
          const next = new Set(seen).add(s.name.value);
          deepest = Math.max(deepest, depthOf(fragments.get(s.name.value)?.selectionSet, next));
        }
        if (deepest > max) return deepest;
      }
      return deepest;
    };
    return {
      Field(node) {
        if (node.name.value !== "__schema" && node.name.value !== "__type") return;
        const depth = 1 + depthOf(node.selectionSet, new Set());
        if (depth > max) context.reportError(limitError(`Introspection depth limit of ${max} exceeded.`));
      },
    };
  };
}

/** Arguments that bound how many items a list field returns. */
const SIZE_ARGUMENTS = ["first", "maxPoints"];

/**
 * Estimated objects an operation returns: each object field costs the objects it returns
 * (a list's size, else 1) times the number of times it is reached. A field with `first` / `maxPoints` multiplies what it contains by that
 * value, read from the literal, the variables or the schema default (so `first: $n` costs
 * what `$n` asks); any other list of objects by `assumedListSize`. Lists in lists multiply,
 * so `children { children { children ... } }` costs what it would really fetch. Variables
 * are read as execution will see them (the operation's defaults filled in), and what
 * `@skip` / `@include` leave out costs nothing, as it fetches nothing.
 */
export function operationCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: Record<string, unknown> | null | undefined,
  limits: Pick<OperationLimits, "assumedListSize" | "maxListCost">,
): number {
  const operations = document.definitions.filter(
    (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION,
  );
  const operation = operationName ? operations.find((o) => o.name?.value === operationName) : operations[0];
  if (!operation) return 0;
  const root = schema.getRootType(operation.operation);
  if (!root) return 0;
  const fragments = new Map(
    document.definitions
      .filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION)
      .map((d) => [d.name.value, d]),
  );
  // Invalid variables fail execution anyway; the cost then reads them as given.
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], variables ?? {});
  const values = coerced.coerced ?? variables ?? {};
  let total = 0;
  const visit = (set: SelectionSetNode, parent: unknown, times: number, depth: number) => {
    if (depth > 64 || total > limits.maxListCost) return; // validation bounds depth; this only stops early
    const type = parent as { getFields?: () => Record<string, GraphQLField<unknown, unknown>>; name: string };
    for (const selection of set.selections) {
      if (!included(selection, values)) continue;
      if (selection.kind === Kind.INLINE_FRAGMENT) {
        const on = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : parent;
        visit(selection.selectionSet, on, times, depth + 1);
        continue;
      }
      if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const fragment = fragments.get(selection.name.value);
        if (fragment) visit(fragment.selectionSet, schema.getType(fragment.typeCondition.name.value), times, depth + 1);
        continue;
      }
      const name = selection.name.value;
      if (name.startsWith("__")) continue; // introspection has its own depth rule
      const field = type.getFields?.()[name];
      if (!field || !selection.selectionSet) continue;
      const inner = getNamedType(field.type);
      if (!isObjectType(inner) && !isInterfaceType(inner)) continue;
      // A list returns `size` objects each time it is reached; a connection (one object
      // taking `first`) returns one, and `size` multiplies what sits below it.
      const size = sizeOf(selection, field, type.name, values, limits);
      const returned = isListType(getNullableType(field.type)) ? times * size : times;
      total += returned;
      visit(selection.selectionSet, inner, times * size, depth + 1);
    }
  };
  visit(operation.selectionSet, root, 1, 0);
  return total;
}

/** Whether execution reaches this selection: not under `@skip(if: true)` or `@include(if: false)`. */
function included(node: FieldNode | FragmentSpreadNode | InlineFragmentNode, variables: Record<string, unknown>) {
  try {
    if (getDirectiveValues(GraphQLSkipDirective, node, variables)?.if === true) return false;
    return getDirectiveValues(GraphQLIncludeDirective, node, variables)?.if !== false;
  } catch {
    return true; // a directive execution would refuse: validation reports it; cost it in full
  }
}

function sizeOf(
  node: FieldNode,
  field: GraphQLField<unknown, unknown>,
  parentName: string,
  variables: Record<string, unknown> | null | undefined,
  limits: Pick<OperationLimits, "assumedListSize">,
): number {
  for (const argName of SIZE_ARGUMENTS) {
    const arg = field.args.find((a) => a.name === argName);
    if (!arg) continue;
    const given = node.arguments?.find((a) => a.name.value === argName);
    const value = (given ? valueFromAST(given.value, arg.type, variables ?? undefined) : undefined) ?? arg.defaultValue;
    return typeof value === "number" && Number.isFinite(value) && value > 0 ? value : limits.assumedListSize;
  }
  if (!isListType(getNullableType(field.type))) return 1;
  // A connection's edges are already counted by the `first` of the field that returned it.
  return parentName.endsWith("Connection") ? 1 : limits.assumedListSize;
}

/** The operation's cost against maxListCost, as errors (empty when within). */
export function costErrors(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: Record<string, unknown> | null | undefined,
  limits: Pick<OperationLimits, "assumedListSize" | "maxListCost">,
): GraphQLError[] {
  const cost = operationCost(schema, document, operationName, variables, limits);
  return cost > limits.maxListCost ? [costLimitError(cost, limits.maxListCost)] : [];
}

const costLimitError = (cost: number, max: number) =>
  limitError(`Query cost limit of ${max} exceeded: this operation could return ${cost} objects.`);

/** Costs remembered per parsed document; past this many variable sets it starts over. */
const COSTS_PER_DOCUMENT = 64;
/** Variables longer than this as JSON are costed every time (they would crowd the memo). */
const MAX_REMEMBERED_VARIABLES_CHARS = 1_024;

/**
 * Apollo: the list cost, once the operation and its variables are known. The cost is a pure
 * function of the parsed document (Apollo's cached object for a query text), the operation
 * name and the variables (the schema and limits are the server's), so it is remembered by
 * them: the dashboard asks the same page again and again, and the walk with its variable
 * coercion was a tenth of a cached answer's time. Variables arrive as parsed JSON, so their
 * JSON text tells them apart.
 */
export function listCostPlugin(limits: Pick<OperationLimits, "assumedListSize" | "maxListCost">): ApolloServerPlugin {
  const costs = new WeakMap<DocumentNode, Map<string, number>>();
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ schema, document, operationName, request }) {
          const variables = JSON.stringify(request.variables ?? {});
          const key = `${operationName ?? ""}\n${variables}`;
          let known = costs.get(document);
          let cost = known?.get(key);
          if (cost === undefined) {
            cost = operationCost(schema, document, operationName, request.variables, limits);
            if (variables.length <= MAX_REMEMBERED_VARIABLES_CHARS) {
              if (!known) {
                known = new Map();
                costs.set(document, known);
              }
              if (known.size >= COSTS_PER_DOCUMENT) known.clear();
              known.set(key, cost);
            }
          }
          if (cost > limits.maxListCost) throw costLimitError(cost, limits.maxListCost);
        },
      };
    },
  };
}

/**
 * "Did you mean ...?" lists schema fields to a caller who cannot introspect; Armor masks
 * them for Apollo, this does the same for graphql-ws.
 */
export function maskSuggestions(errors: readonly GraphQLError[]): GraphQLError[] {
  for (const error of errors) error.message = error.message.replace(/ ?Did you mean .+\?$/, "");
  return [...errors];
}
