import assert from "node:assert/strict";
import { test } from "node:test";
import { parse } from "graphql";
import { DEFAULT_OPERATION_LIMITS, operationCost } from "./limits.ts";
import { createSchema } from "./schema.ts";

const schema = createSchema();
const cost = (query: string, variables: Record<string, unknown> = {}) =>
  operationCost(schema, parse(query), null, variables, DEFAULT_OPERATION_LIMITS);

// A run's controls (a list, assumed 20) each with a series of maxPoints points.
const CONTROLS_SERIES = `
  query ($id: ID!, $n: Int = 100, $withControls: Boolean = false) {
    run(id: $id) {
      id
      controls @include(if: $withControls) { id series(metric: valAccuracy, maxPoints: $n) { epoch } }
    }
  }`;

test("@skip and @include leave out what they leave out of the cost, with variables and their defaults", () => {
  const run = cost("query ($id: ID!) { run(id: $id) { id } }", { id: "x" });
  assert.equal(cost(CONTROLS_SERIES, { id: "x" }), run, "@include(if: false) by the variable's default");
  assert.equal(cost(CONTROLS_SERIES, { id: "x", withControls: false }), run);
  const included = cost(CONTROLS_SERIES, { id: "x", withControls: true });
  assert.ok(included > run, `${included} > ${run}`);
  const skipped = cost(
    "query ($id: ID!, $s: Boolean!) { run(id: $id) { id controls @skip(if: $s) { id series(metric: valAccuracy) { epoch } } } }",
    { id: "x", s: true },
  );
  assert.equal(skipped, run);
  // Inline fragments and spreads too.
  assert.equal(
    cost("query ($id: ID!) { run(id: $id) { id ... @include(if: false) { controls { id } } } }", { id: "x" }),
    run,
  );
});

test("a size variable left out costs the operation's default for it, not the schema's", () => {
  const small = cost(CONTROLS_SERIES, { id: "x", withControls: true });
  const asked = cost(CONTROLS_SERIES, { id: "x", withControls: true, n: 100 });
  assert.equal(small, asked, "$n = 100 by default costs what $n: 100 does");
  const schemaDefault = cost(CONTROLS_SERIES, { id: "x", withControls: true, n: 2000 });
  assert.ok(schemaDefault > small, `${schemaDefault} > ${small}`);
});
