import assert from "node:assert/strict";
import { test } from "node:test";
import { startNatsServer } from "@graft/natsd";
import { gatewayConnectOptions } from "@graft/natsd/testing";
import { connect } from "@nats-io/transport-node";
import { getModel, modelArtifactKey, openArtifactStore, putModel } from "./index.ts";

test("stores and reads back objects and models in the NATS object store", async () => {
  const nats = await startNatsServer();
  const nc = await connect(gatewayConnectOptions(nats));
  try {
    const store = await openArtifactStore(nc);
    const bytes = new Uint8Array(300_000).map((_, i) => i % 251);
    const put = await store.put("uploads/abc", bytes);
    assert.equal(put.sizeBytes, 300_000);
    assert.match(put.sha256, /^[0-9a-f]{64}$/);
    assert.deepEqual(await store.get("uploads/abc"), bytes);
    assert.equal(await store.get("uploads/missing"), null);

    const key = modelArtifactKey("m-1");
    const modelJson = {
      modelTopology: { class_name: "Sequential" },
      weightsManifest: [{ paths: ["a", "b"], weights: [] }],
    };
    await putModel(store, key, { modelJson, weights: new Uint8Array([1, 2, 3]) });
    const model = await getModel(store, key);
    assert.deepEqual(model?.weights, new Uint8Array([1, 2, 3]));
    assert.deepEqual(model?.modelJson.weightsManifest, [{ paths: ["weights.bin"], weights: [] }]);
    assert.throws(() => modelArtifactKey("../etc"), /invalid model id/);
  } finally {
    await nc.close();
    await nats.stop();
  }
});
