import { createHash } from "node:crypto";
import { readdir, readFile, rename, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { migratePglite, migrationsFolder } from "./migrate.ts";

let template: Promise<Blob> | undefined;

/**
 * A migrated, empty PGlite data directory as a tarball. Creating a PGlite cluster runs initdb
 * (seconds on a busy machine); loading this tarball skips it, which is what keeps a test
 * suite of hundreds of fresh databases fast. Cached on disk, keyed by the migrations'
 * contents and the PGlite version, so it is rebuilt whenever either changes.
 */
export function migratedPgliteTemplate(): Promise<Blob> {
  template ??= loadOrBuild().catch((error: unknown) => {
    template = undefined;
    throw error;
  });
  return template;
}

async function loadOrBuild(): Promise<Blob> {
  const file = join(tmpdir(), `graft-pglite-template-${await templateKey()}.tar`);
  try {
    return new Blob([await readFile(file)]);
  } catch {
    // Not built yet (or unreadable): build it below.
  }
  const client = await PGlite.create();
  try {
    await migratePglite(client);
    const dump = await client.dumpDataDir("none");
    // Rename is atomic, so a concurrent test process never reads half a file.
    const partial = `${file}.${process.pid}.partial`;
    await writeFile(partial, new Uint8Array(await dump.arrayBuffer()));
    await rename(partial, file);
    return dump;
  } finally {
    await client.close();
  }
}

async function templateKey(): Promise<string> {
  const hash = createHash("sha256");
  // The package's exports hide package.json; it sits one level above the entry (dist/index.js).
  const pglitePackage = new URL("../package.json", import.meta.resolve("@electric-sql/pglite"));
  hash.update((JSON.parse(await readFile(pglitePackage, "utf8")) as { version: string }).version);
  for (const dir of [migrationsFolder, join(migrationsFolder, "meta")]) {
    for (const entry of (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
      if (entry.isFile()) hash.update(entry.name).update(await readFile(join(dir, entry.name)));
    }
  }
  return hash.digest("hex").slice(0, 16);
}
