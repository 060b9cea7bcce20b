import assert from "node:assert/strict";
import { test } from "node:test";
import { buildSchema, type DocumentNode, GraphQLError, parse, validate } from "graphql";
import { ValidDocuments } from "./valid-documents.ts";

const schema = buildSchema("type Query { run(id: ID!): String }");

/** The real parse and validation, counted. */
function counted() {
  const checked: string[] = [];
  const check = (query: string): DocumentNode | GraphQLError[] => {
    checked.push(query);
    let document: DocumentNode;
    try {
      document = parse(query);
    } catch (error) {
      return [error as GraphQLError];
    }
    const invalid = validate(schema, document);
    return invalid.length > 0 ? [...invalid] : document;
  };
  return { checked, check };
}

test("a query text is parsed and validated once; later senders get the same document", () => {
  const { checked, check } = counted();
  const documents = new ValidDocuments(check);
  const query = 'query { run(id: "1") }';
  const first = documents.get(query);
  assert.ok(!Array.isArray(first));
  assert.equal(documents.get(query), first);
  assert.equal(documents.get(query), first);
  assert.equal(checked.length, 1);
  assert.notEqual(documents.get('query { run(id: "2") }'), first, "another text is another document");
});

test("refused queries are checked every time and never kept; the cache is bounded", () => {
  const { checked, check } = counted();
  const documents = new ValidDocuments(check, { documents: 2, queryChars: 40 });
  for (let i = 0; i < 2; i++) {
    const refused = documents.get("query { nope }");
    assert.ok(Array.isArray(refused) && refused[0] instanceof GraphQLError);
    assert.match(refused[0]?.message ?? "", /Cannot query field "nope"/);
  }
  assert.ok(Array.isArray(documents.get("query {")), "a syntax error is refused too");
  assert.equal(checked.length, 3);

  const long = `query { run(id: "${"x".repeat(40)}") }`;
  documents.get(long);
  documents.get(long);
  assert.equal(checked.length, 5, "a long text is not kept");

  const [a, b, c] = ["1", "2", "3"].map((id) => `query { run(id: "${id}") }`) as [string, string, string];
  const first = documents.get(a);
  documents.get(b);
  documents.get(c); // full: starts over
  assert.equal(checked.length, 8);
  assert.notEqual(documents.get(a), first, "the first was let go when the cache filled");
  assert.equal(checked.length, 9);
});
