import assert from "node:assert/strict";
import { test } from "node:test";
import { encodeTextDatasetJsonl, InvalidDatasetError, readTextDataset, sampleTexts } from "./index.ts";

const utf8 = (s: string) => new TextEncoder().encode(s);

const rejects = (bytes: Uint8Array, reason: RegExp, entry?: string) =>
  assert.throws(
    () => readTextDataset(bytes),
    (error: unknown) => {
      assert.ok(error instanceof InvalidDatasetError, `InvalidDatasetError, got ${String(error)}`);
      assert.match(error.reason, reason);
      if (entry !== undefined) assert.equal(error.entry, entry);
      return true;
    },
  );

test("reads a CSV with quoted multi-line texts, sorted labels and class counts", () => {
  const csv = '\uFEFFlabel,text\npos,"great film, loved it"\nneg,"dull\nand ""slow"""\npos,  fine  \n\n';
  const data = readTextDataset(utf8(csv));
  assert.equal(data.format, "csv");
  assert.deepEqual(data.labels, ["neg", "pos"]);
  assert.deepEqual(data.classCounts, [1, 2]);
  assert.deepEqual(data.texts, ["great film, loved it", 'dull\nand "slow"', "fine"]);
  assert.deepEqual([...data.targets], [1, 0, 1]);
});

test("reads JSONL with numeric labels and round-trips through the stored form", () => {
  const jsonl = '{"text":"a b c","label":1}\n\n{"text":"ü ✓ 日本","label":0,"extra":true}\n{"text":"x","label":1}';
  const data = readTextDataset(utf8(jsonl));
  assert.equal(data.format, "jsonl");
  assert.deepEqual(data.labels, ["0", "1"]);
  assert.deepEqual(data.texts[1], "ü ✓ 日本");
  const again = readTextDataset(encodeTextDatasetJsonl(data));
  assert.deepEqual(again.texts, data.texts);
  assert.deepEqual([...again.targets], [...data.targets]);
  assert.deepEqual(sampleTexts(again, 1), [["ü ✓ 日本"], ["a b c"]]);
});

test("refuses invalid UTF-8 and names the line", () => {
  const bytes = new Uint8Array([
    ...utf8('{"text":"ok","label":"a"}\n{"text":"'),
    0xc3,
    0x28,
    ...utf8('","label":"b"}'),
  ]);
  rejects(bytes, /not valid UTF-8/, "line 2");
});

test("refuses binary data", () => {
  const binary = new Uint8Array(4096);
  for (let i = 0; i < binary.length; i++) binary[i] = (i * 7919) % 128;
  assert.throws(() => readTextDataset(binary), InvalidDatasetError);
  rejects(utf8('text,label\n"PNG\u0000\u0001",a\nb,c'), /control characters/, "line 2");
});

test("refuses a 10 MB line without holding it as a text", () => {
  const long = "x".repeat(10 * 2 ** 20);
  rejects(utf8(`{"text":"${long}","label":"a"}\n`), /line longer than/, "line 1");
  rejects(utf8(`text,label\n${long},a\nb,c\n`), /not a readable CSV/);
  rejects(utf8(`text,label\n${"y".repeat(20_001)},a\nb,c\n`), /text longer than 20000/, "line 2");
});

test("refuses millions of labels as soon as the class limit is passed", () => {
  const rows = Array.from({ length: 2_000_000 }, (_, i) => `t${i},${i}`);
  rejects(utf8(`text,label\n${rows.join("\n")}`), /more than 1000 distinct labels/, "line 1002");
});

test("refuses empty texts, empty labels, one class, too many rows and a header without columns", () => {
  rejects(utf8('{"text":"  ","label":"a"}'), /empty text/, "line 1");
  rejects(utf8('{"text":"hi","label":""}'), /empty label/, "line 1");
  rejects(utf8('{"text":"hi","label":null}'), /`label` must be/, "line 1");
  rejects(utf8('{"text":5,"label":"a"}'), /`text` must be a string/, "line 1");
  rejects(utf8("[1,2]\n"), /not a readable CSV|header/);
  rejects(utf8('{"text":"a","label":"x"}\n{"text":"b","label":"x"}'), /at least 2 are needed/);
  rejects(utf8('{"text":"a","label":"x"}\nnot json'), /not a JSON object/, "line 2");
  rejects(utf8("words,tags\na,b\n"), /header must name/);
  rejects(utf8("   \n  "), /empty/);
  assert.throws(() => readTextDataset(utf8("text,label\na,x\nb,y\nc,z\n"), { maxRows: 2 }), /more than 2 rows/);
});
