import assert from "node:assert/strict";
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { configPath, loadCredentials, saveCredentials } from "./config.ts";
import { exitCodeFor, NotLoggedInError } from "./errors.ts";

test("saved credentials are private to the user, and env variables override them field by field", () => {
  const home = mkdtempSync(join(tmpdir(), "graft-config-"));
  try {
    const env = { HOME: home };
    assert.throws(() => loadCredentials(env), NotLoggedInError);
    const path = saveCredentials({ url: "http://a:4000/graphql", apiKey: "key-a" }, env);
    assert.equal(path, join(home, ".config", "graft", "config.json"));
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.deepEqual(loadCredentials(env), { url: "http://a:4000/graphql", apiKey: "key-a" });
    assert.deepEqual(loadCredentials({ ...env, GRAFT_API_KEY: "key-b" }), {
      url: "http://a:4000/graphql",
      apiKey: "key-b",
    });
    // a file left world-readable by hand is tightened on the next save
    writeFileSync(path, "{}", { mode: 0o644 });
    saveCredentials({ url: "http://a:4000/graphql", apiKey: "key-c" }, env);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.equal(configPath({ XDG_CONFIG_HOME: "/x" }), "/x/graft/config.json");
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

test("not being logged in is an auth error (exit 3)", () => {
  assert.equal(exitCodeFor(new NotLoggedInError()), 3);
});
