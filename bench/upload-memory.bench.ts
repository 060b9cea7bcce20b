/**
 * Peak memory of turning an uploaded image-folder zip into a dataset, the way the gateway did
 * it before and does it now, each in a fresh process (its peak RSS reset just before, read
 * from /proc/self/status VmHWM after), on a real nats-server object store:
 *
 * - whole: `store.get` reads the upload whole, a parse worker gets a copy, unzips every
 *   entry into memory and decodes the images; the bytes are stored again as the dataset.
 * - streamed: the upload is spooled chunk by chunk to a private file, the worker reads one
 *   entry at a time from it (`ZipFile`), and the dataset is copied from the file as a stream.
 *
 * Prints each peak above the process's resting RSS and the ratios to the archive's size.
 *
 *   npx tsx bench/upload-memory.bench.ts [--images 3000] [--side 64]
 */
import { spawnSync } from "node:child_process";
import { createReadStream, createWriteStream, readFileSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { parseArgs } from "node:util";
import { openArtifactStore } from "@graft/artifacts";
import { parseOffThread } from "@graft/gateway/testing";
import { startNatsServer } from "@graft/natsd";
import { gatewayConnectOptions } from "@graft/natsd/testing";
import { connect } from "@nats-io/transport-node";
import { zipSync } from "fflate";
import { PNG } from "pngjs";

const { values } = parseArgs({
  options: {
    images: { type: "string", default: "3000" },
    side: { type: "string", default: "64" },
    mode: { type: "string" },
    zip: { type: "string" },
  },
});
const MiB = 2 ** 20;

/** A noisy PNG: it does not compress, so the archive is as large as its images. */
function noisePng(side: number, seed: number): Uint8Array {
  const image = new PNG({ width: side, height: side });
  let x = seed * 2654435761;
  for (let i = 0; i < image.data.length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    image.data[i] = i % 4 === 3 ? 255 : x >>> 24;
  }
  return new Uint8Array(PNG.sync.write(image));
}

const statusKb = (field: string) =>
  Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync("/proc/self/status", "utf8"))?.[1] ?? 0) * 1024;

/** One mode in this process: prints `{ restingRss, peakRss }` as JSON. */
async function child(mode: "whole" | "streamed", zipPath: string) {
  const nats = await startNatsServer();
  const nc = await connect(gatewayConnectOptions(nats));
  const dir = await mkdtemp(join(tmpdir(), "graft-bench-upload-"));
  try {
    const store = await openArtifactStore(nc);
    await store.putStream("uploads/bench", createReadStream(zipPath));
    // A first small parse loads the worker's code paths, so neither mode pays it inside the window.
    await parseOffThread({
      kind: "image-folder",
      bytes: zipSync({ "a/1.png": noisePng(4, 1), "b/1.png": noisePng(4, 2) }),
    });
    (globalThis as { gc?: () => void }).gc?.();
    const resting = statusKb("VmRSS");
    writeFileSync("/proc/self/clear_refs", "5"); // resets VmHWM to the current RSS
    if (mode === "whole") {
      const bytes = await store.get("uploads/bench");
      if (!bytes) throw new Error("upload missing");
      await parseOffThread({ kind: "image-folder", bytes });
      await store.put("datasets/bench", bytes);
    } else {
      const chunks = await store.getStream("uploads/bench");
      if (!chunks) throw new Error("upload missing");
      const file = join(dir, "upload");
      await pipeline(Readable.from(chunks), createWriteStream(file, { mode: 0o600 }));
      await parseOffThread({ kind: "image-folder-file", path: file });
      await store.putStream("datasets/bench", createReadStream(file));
    }
    console.log(JSON.stringify({ resting, peak: statusKb("VmHWM") }));
  } finally {
    await nc.close();
    await nats.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

async function main() {
  const images = Number(values.images);
  const side = Number(values.side);
  const dir = await mkdtemp(join(tmpdir(), "graft-bench-zip-"));
  try {
    const entries: Record<string, Uint8Array> = {};
    for (let i = 0; i < images; i++) entries[`${i % 2 ? "cats" : "dogs"}/${i}.png`] = noisePng(side, i);
    const zip = zipSync(entries, { level: 0 });
    const zipPath = join(dir, "upload.zip");
    writeFileSync(zipPath, zip);
    console.log(`archive: ${images} images of ${side} x ${side}, ${(zip.byteLength / MiB).toFixed(1)} MiB`);
    const peaks: Record<string, number> = {};
    for (const mode of ["whole", "streamed"] as const) {
      const run = spawnSync(
        process.execPath,
        ["--expose-gc", "--import", "tsx", new URL(import.meta.url).pathname, "--mode", mode, "--zip", zipPath],
        { encoding: "utf8", maxBuffer: 16 * MiB },
      );
      const line = run.stdout.trim().split("\n").at(-1) ?? "";
      if (run.status !== 0 || !line.startsWith("{")) throw new Error(`${mode} failed:\n${run.stdout}\n${run.stderr}`);
      const { resting, peak } = JSON.parse(line) as { resting: number; peak: number };
      peaks[mode] = peak - resting;
      console.log(
        `${mode.padEnd(8)}: peak RSS ${((peak - resting) / MiB).toFixed(1)} MiB above resting ${(resting / MiB).toFixed(0)} MiB = ${((peak - resting) / zip.byteLength).toFixed(2)}x the archive`,
      );
    }
    console.log(`streamed / whole peak: ${((peaks.streamed ?? 0) / (peaks.whole ?? 1)).toFixed(2)}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (values.mode === "whole" || values.mode === "streamed") await child(values.mode, values.zip as string);
else await main();
