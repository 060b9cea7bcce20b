/**
 * Dispatch against the p99 <= 10x target: `startFineTune` over GraphQL until a trainer holds
 * the job (its pull from the pool's durable consumer returns the message, as a trainer's job
 * worker pulls it), against a bare core-NATS request/reply on the same nats-server, same run.
 * The trainer side is a bare pull loop (no TensorFlow), so the figure is the platform's:
 * GraphQL, auth, validation, the run's row, the JetStream publish and the delivery.
 * PGlite by default; PostgreSQL as well when DATABASE_URL is set.
 *
 *   npx tsx bench/dispatch.bench.ts [--iterations 200]
 *   (DISPATCH_GATEWAY_NODE_ARGS adds node flags to the gateway process, e.g. --cpu-prof.)
 */
import { parseArgs } from "node:util";
import { ensureJobsConsumer, JOBS_STREAM, jobMessageSchema, jobsConsumerName } from "@graft/contracts";
import { createTestDatabaseTarget, testPostgresServer } from "@graft/db/testing";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { startSeededGateway } from "./graphql-reads.ts";

const { values } = parseArgs({ options: { iterations: { type: "string", default: "200" } } });
const ITERATIONS = Number(values.iterations);
const POOL = "dispatch-bench";

const quantiles = (samples: number[]) => {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
  return { p50: at(0.5), p99: at(0.99) };
};

async function bench(name: string, databaseUrl?: string): Promise<void> {
  console.log(`\n${name}: ${ITERATIONS} dispatches, one at a time`);
  const nodeArgs = process.env.DISPATCH_GATEWAY_NODE_ARGS?.split(" ").filter(Boolean) ?? [];
  const gateway = await startSeededGateway({ runs: 0, epochs: 1, nodeArgs, ...(databaseUrl ? { databaseUrl } : {}) });
  const nc = await connect(gateway.natsConnect);
  try {
    // Floor: a bare request/reply on the same server.
    nc.subscribe("bench.echo", {
      callback: (_, msg) => {
        msg.respond(msg.data);
      },
    });
    const floor: number[] = [];
    for (let i = 0; i < ITERATIONS + 20; i++) {
      const started = performance.now();
      await nc.request("bench.echo", "x");
      if (i >= 20) floor.push(performance.now() - started);
    }

    await ensureJobsConsumer(await jetstreamManager(nc), POOL);
    const consumer = await jetstream(nc).consumers.get(JOBS_STREAM, jobsConsumerName(POOL));
    const body = JSON.stringify({
      query: "mutation ($input: StartFineTuneInput!) { startFineTune(input: $input) { id } }",
      variables: { input: { baseModelId: gateway.baseModelId, datasetId: gateway.datasetId, epochs: 1, pool: POOL } },
    });
    const dispatch: number[] = [];
    for (let i = 0; i < ITERATIONS + 20; i++) {
      const started = performance.now();
      // The trainer's pull is open before the mutation, as an idle trainer's is.
      const held = consumer.next({ expires: 30_000 });
      const response = await fetch(gateway.url, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${gateway.apiKey}` },
        body,
      });
      const { data } = (await response.json()) as { data?: { startFineTune: { id: string } } };
      const msg = await held;
      const elapsed = performance.now() - started;
      if (!msg || !data) throw new Error("the job never reached the trainer's pull");
      if (jobMessageSchema.parse(msg.json()).runId !== data.startFineTune.id) throw new Error("held another run's job");
      msg.ack();
      if (i >= 20) dispatch.push(elapsed);
    }
    const f = quantiles(floor);
    const d = quantiles(dispatch);
    console.log(
      `  bare NATS request/reply (floor)     p50 ${f.p50.toFixed(2).padStart(7)} ms   p99 ${f.p99.toFixed(2).padStart(7)} ms`,
    );
    console.log(
      `  startFineTune until a trainer holds   p50 ${d.p50.toFixed(2).padStart(7)} ms   p99 ${d.p99.toFixed(2).padStart(7)} ms   p50 ${(d.p50 / f.p50).toFixed(1)}x, p99 ${(d.p99 / f.p99).toFixed(1)}x floor (target p99 <= 10x)`,
    );
  } finally {
    await nc.close();
    await gateway.stop();
  }
}

await bench("PGlite (gateway process, in memory)");
if (testPostgresServer()) {
  const target = await createTestDatabaseTarget("postgres");
  try {
    await bench("PostgreSQL (gateway process, fresh database)", target.databaseUrl);
  } finally {
    await target.cleanup();
  }
}
