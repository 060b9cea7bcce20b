import * as ops from "../src/lib/graphql.generated.ts";

const [G, K] = process.argv.slice(2);
const vars: Record<string, unknown> = { id: "1", full: true, maxPoints: 800, runId: "1", input: {} };
for (const [name, doc] of Object.entries(ops)) {
  if (!name.endsWith("Document")) continue;
  const query = String(doc);
  if (/^\s*(mutation|subscription)/.test(query.trim())) continue;
  const res = await fetch(G!, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${K}` },
    body: JSON.stringify({ query, variables: vars }),
  });
  const body = (await res.json()) as { errors?: { message: string }[] };
  console.log(name, res.status, body.errors?.map((e) => e.message).join(" | ") ?? "ok");
}
