import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { sha256Hex } from "@graft/artifacts";
import { builtinModel } from "@graft/catalog";
import { describeEachDriver } from "@graft/db/testing";
import { strToU8 } from "fflate";
import { serveFiles, zipFiles } from "./support/fixtures.ts";
import { codes, type GatewaySetup, setup } from "./support/gateway.ts";

describeEachDriver((driver) => {
  let s: GatewaySetup;
  let textGru: Map<string, Uint8Array>;
  before(async () => {
    s = await setup(driver, { maxUploadBytes: 64 * 2 ** 20 });
    const artifact = await builtinModel("text-gru").load();
    textGru = new Map([
      ["model.json", strToU8(JSON.stringify(artifact.modelJson))],
      ["weights.bin", artifact.weights],
      ["tokenizer.json", artifact.tokenizer as Uint8Array],
    ]);
  });
  after(async () => {
    await s?.cleanup();
  });

  const DATASET_FIELDS = "id name task labels classCounts sampleCount sampleShape classes { label count sampleTexts }";
  const CREATE_DATASET = `mutation ($input: CreateDatasetInput!) { createDataset(input: $input) { ${DATASET_FIELDS} } }`;
  const REGISTER = `mutation ($input: RegisterModelInput!) { registerModel(input: $input) {
    id task inputShape labels preprocessing { kind inputRange channels sequenceLength padding truncation padTokenId tokenizerSha256 }
  } }`;

  async function upload(bytes: Uint8Array): Promise<string> {
    const uploaded = await s.upload(bytes);
    assert.equal(uploaded.status, 201, JSON.stringify(uploaded.body));
    return uploaded.body.uploadId as string;
  }

  const datasetCount = async () => (await s.gqlData<{ datasets: unknown[] }>("{ datasets { id } }")).datasets.length;

  test("a CSV upload becomes a text dataset with per-class counts and sample texts", async () => {
    const csv =
      'text,label\n"Cheap meds, click now",spam\nLunch at noon?,ham\n"WIN a prize!!",spam\nNotes from the meeting,ham\n';
    const { createDataset } = await s.gqlData<{
      createDataset: {
        task: string;
        labels: string[];
        classCounts: number[];
        sampleShape: number[];
        classes: { label: string; count: number; sampleTexts: string[] }[];
      };
    }>(CREATE_DATASET, { input: { name: "mail", uploadId: await upload(strToU8(csv)) } });
    assert.equal(createDataset.task, "text-classification");
    assert.deepEqual(createDataset.labels, ["ham", "spam"]);
    assert.deepEqual(createDataset.sampleShape, []);
    assert.deepEqual(createDataset.classes, [
      { label: "ham", count: 2, sampleTexts: ["Lunch at noon?", "Notes from the meeting"] },
      { label: "spam", count: 2, sampleTexts: ["Cheap meds, click now", "WIN a prize!!"] },
    ]);
  });

  test("a JSONL upload of the same name makes version 2", async () => {
    const jsonl = '{"text":"good","label":"pos"}\n{"text":"bad","label":"neg"}\n';
    const first = await s.gqlData<{ createDataset: { id: string } }>(CREATE_DATASET, {
      input: { name: "reviews", uploadId: await upload(strToU8(jsonl)) },
    });
    const second = await s.gqlData<{ createDataset: { id: string; labels: string[] } }>(
      CREATE_DATASET.replace("{ id name", "{ id version name"),
      { input: { name: "reviews", uploadId: await upload(strToU8(jsonl)) } },
    );
    assert.notEqual(first.createDataset.id, second.createDataset.id);
    assert.deepEqual(second.createDataset.labels, ["neg", "pos"]);
  });

  test("hostile text uploads are refused with BAD_USER_INPUT and change nothing", async () => {
    const before = await datasetCount();
    const random = new Uint8Array(100_000);
    for (let i = 0; i < random.length; i++) random[i] = (i * 2654435761) >>> 24;
    const hostile: [string, Uint8Array, RegExp][] = [
      ["binary data", random, /UTF-8|control characters|CSV/],
      ["a 10 MB line", strToU8(`{"text":"${"a".repeat(10 * 2 ** 20)}","label":"x"}\n`), /line longer than/],
      [
        "millions of labels",
        strToU8(`text,label\n${Array.from({ length: 2_000_000 }, (_, i) => `t,${i}`).join("\n")}`),
        /more than 1000 distinct labels/,
      ],
      [
        "invalid UTF-8",
        new Uint8Array([...strToU8("text,label\nok,a\n"), 0xff, 0xfe, 0x2c, 0x62, 0x0a]),
        /not valid UTF-8/,
      ],
      ["an empty text", strToU8('{"text":"   ","label":"a"}\n{"text":"b","label":"b"}'), /empty text/],
    ];
    for (const [what, bytes, reason] of hostile) {
      const result = await s.gql(CREATE_DATASET, { input: { name: "hostile", uploadId: await upload(bytes) } });
      assert.deepEqual(codes(result), ["BAD_USER_INPUT"], what);
      assert.equal(result.errors?.[0]?.extensions?.field, "input.uploadId", what);
      assert.match(result.errors?.[0]?.message ?? "", reason, what);
    }
    assert.equal(await datasetCount(), before, "no dataset was created");
  });

  test("a user's tfjs text model registers by upload with its tokenizer as text preprocessing", async () => {
    const tokenizer = textGru.get("tokenizer.json") as Uint8Array;
    const { registerModel } = await s.gqlData<{
      registerModel: {
        task: string;
        inputShape: number[];
        preprocessing: Record<string, unknown>;
      };
    }>(REGISTER, {
      input: {
        name: "my-gru",
        task: "text-classification",
        uploadId: await upload(zipFiles(textGru)),
        sequencePadding: "START",
      },
    });
    assert.equal(registerModel.task, "text-classification");
    assert.deepEqual(registerModel.inputShape, [64]);
    assert.deepEqual(registerModel.preprocessing, {
      kind: "text",
      inputRange: null,
      channels: null,
      sequenceLength: 64,
      padding: "START",
      truncation: "END",
      padTokenId: 0,
      tokenizerSha256: sha256Hex(tokenizer),
    });
  });

  test("text model registrations without a usable tokenizer, or with image settings, are refused", async () => {
    const without = new Map(textGru);
    without.delete("tokenizer.json");
    const regex = new Map(textGru);
    const hostileTokenizer = JSON.parse(new TextDecoder().decode(textGru.get("tokenizer.json")));
    hostileTokenizer.pre_tokenizer = { type: "Split", pattern: { Regex: "(a|a)+$" }, behavior: "Isolated" };
    regex.set("tokenizer.json", strToU8(JSON.stringify(hostileTokenizer)));
    const cases: [string, Record<string, unknown>, string, RegExp][] = [
      ["no tokenizer", { uploadId: await upload(zipFiles(without)) }, "input.uploadId", /needs its tokenizer.json/],
      ["a regex tokenizer", { uploadId: await upload(zipFiles(regex)) }, "input.uploadId", /regular expression/],
      [
        "an input range",
        { uploadId: await upload(zipFiles(textGru)), inputRange: [0, 1] },
        "input.inputRange",
        /image models only/,
      ],
      [
        "a pad id outside",
        { uploadId: await upload(zipFiles(textGru)), padTokenId: 10_000 },
        "input.padTokenId",
        /below/,
      ],
    ];
    for (const [what, input, field, reason] of cases) {
      const result = await s.gql(REGISTER, { input: { name: "bad", task: "text-classification", ...input } });
      assert.deepEqual(codes(result), ["BAD_USER_INPUT"], what);
      assert.equal(result.errors?.[0]?.extensions?.field, field, what);
      assert.match(result.errors?.[0]?.message ?? "", reason, what);
    }
    const asImage = await s.gql(REGISTER, { input: { name: "bad", uploadId: await upload(zipFiles(textGru)) } });
    assert.deepEqual(codes(asImage), ["BAD_USER_INPUT"]);
    assert.match(asImage.errors?.[0]?.message ?? "", /\[height, width, 1\|3\]/);
    const unknownTask = await s.gql(REGISTER, { input: { name: "bad", task: "audio", url: "http://127.0.0.1/x" } });
    assert.equal(unknownTask.errors?.[0]?.extensions?.field, "input.task");
  });

  test("a text model registers by URL with tokenizer.json fetched beside model.json", async () => {
    let served = new Map(textGru);
    const server = await serveFiles(() => served);
    try {
      const url = server.url("model.json");
      const { registerModel } = await s.gqlData<{ registerModel: { preprocessing: { tokenizerSha256: string } } }>(
        REGISTER,
        { input: { name: "gru-by-url", task: "text-classification", url } },
      );
      assert.equal(registerModel.preprocessing.tokenizerSha256, sha256Hex(textGru.get("tokenizer.json") as Uint8Array));
      served = new Map(textGru);
      served.delete("tokenizer.json");
      const missing = await s.gql(REGISTER, { input: { name: "no-tokenizer", task: "text-classification", url } });
      assert.deepEqual(codes(missing), ["BAD_USER_INPUT"]);
      assert.equal(missing.errors?.[0]?.extensions?.field, "input.url");
    } finally {
      await server.close();
    }
  });
});
