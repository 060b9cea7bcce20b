import assert from "node:assert/strict";
import { test } from "node:test";
import { describeEachDriver } from "@graft/db/testing";
import { imageFolderZip, tinyModel, zipFiles } from "./support/fixtures.ts";
import { codes, setup } from "./support/gateway.ts";

describeEachDriver((driver) => {
  test("when NATS is down, startFineTune answers DISPATCH_FAILED and the run ends FAILED, not queued", async () => {
    const s = await setup(driver);
    let nats = s.nats;
    try {
      const model = await s.upload(zipFiles(tinyModel().files));
      const data = await s.upload(imageFolderZip());
      const { registerModel } = await s.gqlData<{ registerModel: { id: string } }>(
        'mutation ($u: ID!) { registerModel(input: { name: "m", uploadId: $u }) { id } }',
        { u: model.body.uploadId },
      );
      const { createDataset } = await s.gqlData<{ createDataset: { id: string } }>(
        'mutation ($u: ID!) { createDataset(input: { name: "d", uploadId: $u }) { id } }',
        { u: data.body.uploadId },
      );
      await nats.kill();
      const ready = await fetch(`${s.gateway.baseUrl}/readyz`);
      assert.equal(ready.status, 503);

      const result = await s.gql(
        "mutation ($m: ID!, $d: ID!) { startFineTune(input: { baseModelId: $m, datasetId: $d, epochs: 1 }) { id } }",
        { m: registerModel.id, d: createDataset.id },
      );
      assert.deepEqual(codes(result), ["DISPATCH_FAILED"]);
      const runId = result.errors?.[0]?.extensions?.runId;
      const { run } = await s.gqlData<{ run: { status: string; error: { code: string } } }>(
        "query ($id: ID!) { run(id: $id) { status error { code } } }",
        { id: runId },
      );
      assert.deepEqual(run, { status: "FAILED", error: { code: "DISPATCH_FAILED" } });
    } finally {
      nats = await nats.restart();
      await s.gateway.stop();
      await nats.stop();
    }
  });
});
