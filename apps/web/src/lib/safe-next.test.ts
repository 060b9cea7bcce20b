import assert from "node:assert/strict";
import { test } from "node:test";
import { safeNextPath } from "./safe-next.ts";

test("after login, only paths on this site: everything that would leave it becomes /", () => {
  for (const hostile of [
    "//evil.example",
    "/\\evil.example",
    "/\\/evil.example",
    "\\\\evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    "https://evil.example",
    "http:evil.example",
    "javascript:alert(1)",
    "evil.example",
    decodeURIComponent("/%5Cevil.example"),
    decodeURIComponent("%2F%2Fevil.example"),
    "",
    null,
  ]) {
    assert.equal(safeNextPath(hostile), "/", JSON.stringify(hostile));
  }
  // An encoded backslash that stays encoded is a path segment on this site, not a host.
  assert.equal(safeNextPath("/%5Cevil.example"), "/%5Cevil.example");
  assert.equal(safeNextPath("/runs?status=FAILED#top"), "/runs?status=FAILED#top");
  assert.equal(safeNextPath("/runs/../models"), "/models");
});
