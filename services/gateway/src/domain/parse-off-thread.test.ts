import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { InvalidDatasetError, ModelLimitError, UnsafeArchiveError } from "@graft/artifacts";
import { strToU8, zipSync } from "fflate";
import { PNG } from "pngjs";
import { parseOffThread } from "./parse-off-thread.ts";

function png(size: number, shade: number): Uint8Array {
  const image = new PNG({ width: size, height: size });
  image.data.fill(shade);
  return new Uint8Array(PNG.sync.write(image, { deflateLevel: 1 }));
}

// The gateway hands the worker spooled uploads: files, read one entry at a time.
const dir = mkdtempSync(join(tmpdir(), "graft-parse-test-"));
after(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
function spooled(bytes: Uint8Array): string {
  const path = join(dir, `upload-${++files}`);
  writeFileSync(path, bytes);
  return path;
}

test("decodes an image folder in a worker while the event loop keeps turning", async () => {
  const entries: Record<string, Uint8Array> = {};
  for (let i = 0; i < 6; i++) {
    entries[`cats/${i}.png`] = png(700, 40 + i);
    entries[`dogs/${i}.png`] = png(700, 140 + i);
  }
  const bytes = zipSync(entries, { level: 0 });
  let turns = 0;
  const ticker = setInterval(() => turns++, 1);
  try {
    const summary = await parseOffThread({ kind: "image-folder-file", path: spooled(bytes) });
    assert.deepEqual(summary, {
      labels: ["cats", "dogs"],
      classCounts: [6, 6],
      sampleCount: 12,
      sampleShape: [700, 700, 1],
    });
    // Run inline, 12 images of 700 x 700 would decode with no timer firing in between.
    assert.ok(turns > 0, "timers fired while the worker decoded");
  } finally {
    clearInterval(ticker);
  }
});

test("typed errors come back from the worker as themselves, limit included", async () => {
  const deep = strToU8(`{"modelTopology":${"[".repeat(1000)}${"]".repeat(1000)}}`);
  await assert.rejects(
    parseOffThread({ kind: "model-files", files: new Map([["model.json", deep]]) }),
    (error: unknown) => {
      assert.ok(error instanceof ModelLimitError, String(error));
      assert.equal(error.limit, "JSON_DEPTH");
      assert.match(error.message, /nested too deeply \(limit 64\)$/);
      return true;
    },
  );
  await assert.rejects(
    parseOffThread({ kind: "model-zip-file", path: spooled(strToU8("not a zip")) }),
    UnsafeArchiveError,
  );
  const oneClass = zipSync({ "cats/1.png": png(2, 1) });
  await assert.rejects(parseOffThread({ kind: "image-folder-file", path: spooled(oneClass) }), InvalidDatasetError);
  await assert.rejects(parseOffThread({ kind: "image-folder", bytes: oneClass }), InvalidDatasetError);
});
