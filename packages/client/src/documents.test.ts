import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { buildSchema, type EnumTypeDefinitionNode, Kind, parse, validate } from "graphql";
import * as generated from "./graphql.generated.ts";

const schemaText = readFileSync(new URL("../../../schema.graphql", import.meta.url), "utf8");
const schema = buildSchema(schemaText);
const documents = Object.entries(generated).filter(([name]) => name.endsWith("Document"));

test("every generated document is one operation with its fragments, valid against schema.graphql", () => {
  assert.ok(documents.length >= 20, `found ${documents.length} documents`);
  for (const [name, document] of documents) {
    const parsed = parse(String(document));
    const operations = parsed.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION);
    assert.equal(operations.length, 1, `${name} holds one operation`);
    assert.deepEqual(validate(schema, parsed), [], `${name} is valid`);
  }
});

test("runtime enums list the schema's values in the schema's order", () => {
  const enums = new Map(
    parse(schemaText)
      .definitions.filter((d): d is EnumTypeDefinitionNode => d.kind === Kind.ENUM_TYPE_DEFINITION)
      .map((d) => [d.name.value, d.values?.map((v) => v.name.value) ?? []]),
  );
  const runtime: Record<string, Record<string, string>> = {
    RunStatus: generated.RunStatus,
    TrainerStatus: generated.TrainerStatus,
    Optimizer: generated.Optimizer,
    MetricName: generated.MetricName,
    FreezeStrategy: generated.FreezeStrategy,
  };
  for (const [name, values] of Object.entries(runtime)) {
    assert.deepEqual(Object.values(values), enums.get(name), name);
  }
  assert.equal(generated.RunStatus.Succeeded, "SUCCEEDED");
});
