import { readFileSync } from "node:fs";
import {
  type DefinitionNode,
  type DocumentNode,
  type FragmentDefinitionNode,
  Kind,
  type OperationDefinitionNode,
  parse,
  print,
  visit,
} from "graphql";

// Each operation is sent alone with only the fragments it uses, so the gateway's cost and
// depth limits judge exactly what runs.
const source = readFileSync(new URL("./operations.graphql", import.meta.url), "utf8");
const parsed: DocumentNode = parse(source);
const fragments = new Map<string, FragmentDefinitionNode>();
const operations = new Map<string, OperationDefinitionNode>();
for (const def of parsed.definitions) {
  if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);
  else if (def.kind === Kind.OPERATION_DEFINITION && def.name) operations.set(def.name.value, def);
}

function usedFragments(node: DefinitionNode, into: Set<string>): void {
  visit(node, {
    FragmentSpread(spread) {
      const name = spread.name.value;
      if (into.has(name)) return;
      into.add(name);
      const fragment = fragments.get(name);
      if (fragment) usedFragments(fragment, into);
    },
  });
}

const printed = new Map<string, string>();

export function operationText(name: string): string {
  const cached = printed.get(name);
  if (cached) return cached;
  const operation = operations.get(name);
  if (!operation) throw new Error(`unknown operation ${name}`);
  const names = new Set<string>();
  usedFragments(operation, names);
  const defs: DefinitionNode[] = [operation, ...[...names].flatMap((n) => fragments.get(n) ?? [])];
  const text = print({ kind: Kind.DOCUMENT, definitions: defs });
  printed.set(name, text);
  return text;
}
