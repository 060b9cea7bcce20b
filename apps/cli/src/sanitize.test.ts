import assert from "node:assert/strict";
import { test } from "node:test";
import { terminalJson, terminalSafe, terminalText } from "./sanitize.ts";

const OSC52 = "\u001b]52;c;aGVsbG8=\u0007";
const CLEAR = "\u001b[2J\u001b[H";

test("strips escape sequences and control characters from server text", () => {
  assert.equal(terminalText(`out of memory${OSC52}${CLEAR}`), "out of memory");
  assert.equal(terminalText("a\u009b31mb\rc\u0000d\u007f"), "abcd", "C1 CSI, CR, NUL and DEL go");
  assert.equal(terminalText("invoice\u202egnp.exe\u200b"), "invoicegnp.exe", "bidi override and zero-width go");
  assert.equal(terminalText("line one\n\tline two"), "line one\n\tline two", "newlines and tabs stay");
});

test("sanitizes every string of an answer and keeps its shape", () => {
  const run = { id: "r1", error: { code: "TRAINING_ERROR", message: `boom${CLEAR}` }, epochs: [{ epoch: 1 }] };
  assert.deepEqual(terminalSafe(run), {
    id: "r1",
    error: { code: "TRAINING_ERROR", message: "boom" },
    epochs: [{ epoch: 1 }],
  });
});

test("JSON output keeps the text but escapes what a terminal would act on", () => {
  const json = terminalJson({ message: `x${OSC52}\u009b2J\u202e` });
  // biome-ignore lint/suspicious/noControlCharactersInRegex: no control character may remain
  assert.doesNotMatch(json, /[\u0000-\u001f\u007f-\u009f\u202e]/);
  assert.deepEqual(JSON.parse(json), { message: `x${OSC52}\u009b2J\u202e` });
});
