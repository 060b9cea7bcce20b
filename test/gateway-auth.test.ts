import assert from "node:assert/strict";
import { test } from "node:test";
import { describeEachDriver } from "@graft/db/testing";
import { codes, setup } from "./support/gateway.ts";

describeEachDriver((driver) => {
  test("every operation needs a valid API key, and each project sees only its own rows", async () => {
    const { gateway, gql, gqlData, cleanup } = await setup(driver);
    try {
      const viewer = await gqlData<{ viewer: { projectName: string } }>("{ viewer { projectName } }");
      assert.equal(viewer.viewer.projectName, "default");

      const missing = await gql("{ viewer { projectId } }", {}, null);
      assert.equal(missing.status, 401);
      assert.deepEqual(codes(missing), ["UNAUTHENTICATED"]);
      assert.equal(missing.data, undefined);

      const wrong = await gql("{ models { totalCount } }", {}, "graft_not-a-real-key");
      assert.equal(wrong.status, 401);
      assert.deepEqual(codes(wrong), ["UNAUTHENTICATED"]);

      const made = await gqlData<{ createExperiment: { id: string } }>(
        'mutation { createExperiment(input: { name: "mine" }) { id } }',
      );
      const other = await gateway.createProject("other");
      const otherViewer = await gqlData<{ viewer: { projectName: string } }>(
        "{ viewer { projectName } }",
        {},
        other.apiKey,
      );
      assert.equal(otherViewer.viewer.projectName, "other");
      const foreign = await gql(
        "query ($id: ID!) { experiment(id: $id) { name } }",
        { id: made.createExperiment.id },
        other.apiKey,
      );
      assert.deepEqual(codes(foreign), ["NOT_FOUND"]);
      const listed = await gqlData<{ experiments: unknown[] }>("{ experiments { id } }", {}, other.apiKey);
      assert.deepEqual(listed.experiments, []);
      const unknownId = await gql('{ experiment(id: "00000000-0000-4000-8000-000000000000") { name } }');
      assert.deepEqual(codes(unknownId), ["NOT_FOUND"]);
      assert.equal(
        unknownId.errors?.[0]?.message,
        foreign.errors?.[0]?.message.replace(made.createExperiment.id, "00000000-0000-4000-8000-000000000000"),
      );
    } finally {
      await cleanup();
    }
  });

  test("registerTrainer needs only the join token; drainTrainer needs an API key", async () => {
    const { gateway, gql, gqlData, cleanup } = await setup(driver);
    try {
      const register = `mutation ($token: String!) {
      registerTrainer(input: { joinToken: $token, name: "t1", host: "h", backend: "cpu", devices: ["cpu"], cpuCount: 2, memoryBytes: 1e9 }) {
        trainer { id name status pool } trainerToken
      }
    }`;
      const bad = await gql(register, { token: "graftjoin_wrong" }, null);
      assert.deepEqual(codes(bad), ["UNAUTHENTICATED"]);
      const joined = await gql<{
        registerTrainer: { trainer: { id: string; status: string; pool: string }; trainerToken: string };
      }>(register, { token: gateway.joinToken }, null);
      assert.equal(joined.errors, undefined);
      assert.equal(joined.data?.registerTrainer.trainer.status, "IDLE");
      assert.equal(joined.data?.registerTrainer.trainer.pool, "default");
      assert.match(joined.data?.registerTrainer.trainerToken ?? "", /^grafttrainer_/);
      const id = joined.data?.registerTrainer.trainer.id;

      const keyless = await gql("mutation ($id: ID!) { drainTrainer(id: $id) { status } }", { id }, null);
      assert.deepEqual(codes(keyless), ["UNAUTHENTICATED"]);
      const drained = await gqlData<{ drainTrainer: { status: string } }>(
        "mutation ($id: ID!) { drainTrainer(id: $id) { status } }",
        { id },
      );
      assert.equal(drained.drainTrainer.status, "DRAINING");
      // Trainers are fleet-wide: another project sees the same node.
      const other = await gateway.createProject("other");
      const seen = await gqlData<{ trainers: { id: string }[] }>("{ trainers { id } }", {}, other.apiKey);
      assert.deepEqual(
        seen.trainers.map((t) => t.id),
        [id],
      );
      const badPool = await gql(
        `mutation ($token: String!) { registerTrainer(input: { joinToken: $token, name: "t", host: "h", pool: "a.b", backend: "cpu", devices: [], cpuCount: 1, memoryBytes: 1 }) { trainerToken } }`,
        { token: gateway.joinToken },
        null,
      );
      assert.deepEqual(codes(badPool), ["BAD_USER_INPUT"]);
      assert.equal(badPool.errors?.[0]?.extensions?.field, "input.pool");

      // The same host and name while that registration is live: a join token alone is not the
      // node. Refused with CONFLICT, and the live registration is untouched.
      const takeover = await gql(
        `mutation ($token: String!, $previous: String) {
          registerTrainer(input: { joinToken: $token, name: "t1", host: "h", pool: "elsewhere", backend: "cpu", devices: [], cpuCount: 1, memoryBytes: 1, previousTrainerToken: $previous }) { trainerToken }
        }`,
        { token: gateway.joinToken, previous: "grafttrainer_guessed" },
        null,
      );
      assert.deepEqual(codes(takeover), ["CONFLICT"]);
      const untouched = await gqlData<{ trainers: { id: string; status: string; pool: string }[] }>(
        "{ trainers { id status pool } }",
        {},
      );
      assert.deepEqual(untouched.trainers, [{ id, status: "DRAINING", pool: "default" }]);

      // The node itself coming back (a restart, or a retried registration) with its last token
      // is the same trainer: same id, back to IDLE, a fresh token; no second row.
      const again = await gqlData<{
        registerTrainer: { trainer: { id: string; status: string }; trainerToken: string };
      }>(
        `mutation ($token: String!, $previous: String) {
          registerTrainer(input: { joinToken: $token, name: "t1", host: "h", backend: "cpu", devices: ["cpu"], cpuCount: 2, memoryBytes: 1e9, previousTrainerToken: $previous }) {
            trainer { id status } trainerToken
          }
        }`,
        { token: gateway.joinToken, previous: joined.data?.registerTrainer.trainerToken },
      );
      assert.equal(again.registerTrainer.trainer.id, id);
      assert.equal(again.registerTrainer.trainer.status, "IDLE");
      assert.notEqual(again.registerTrainer.trainerToken, joined.data?.registerTrainer.trainerToken);
      const fleet = await gqlData<{ trainers: { id: string }[] }>("{ trainers { id } }", {});
      assert.equal(fleet.trainers.length, 1);
    } finally {
      await cleanup();
    }
  });
});
