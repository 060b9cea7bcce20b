import assert from "node:assert/strict";
import { test } from "node:test";
import { InvalidArgumentError } from "commander";
import { controls, decimal, freeze, integer, oneOf } from "./parse.ts";

test("freeze specs map to the API's strategies", () => {
  assert.deepEqual(freeze("all"), { strategy: "ALL_BASE" });
  assert.deepEqual(freeze("NONE"), { strategy: "NONE" });
  assert.deepEqual(freeze("first:3"), { strategy: "FIRST_N", layers: 3 });
  assert.throws(() => freeze("first:"), InvalidArgumentError);
  assert.throws(() => freeze("half"), /expected all, none or first:N/);
});

test("numbers are checked for form and range before anything is sent", () => {
  assert.equal(integer(1, 10)("7"), 7);
  assert.throws(() => integer(1, 10)("7.5"), /expected an integer/);
  assert.throws(() => integer(1, 10)("11"), /between 1 and 10/);
  assert.equal(decimal(0, 1)("0.25"), 0.25);
  assert.throws(() => decimal(0, 1)("abc"), /expected a number/);
  assert.throws(() => decimal(0, 1)(""), /expected a number/);
});

test("choices are matched after normalisation and listed when wrong", () => {
  const optimizer = oneOf(["ADAM", "SGD"] as const, (v) => v.toUpperCase());
  assert.equal(optimizer("sgd"), "SGD");
  assert.throws(() => optimizer("lbfgs"), /expected one of ADAM, SGD/);
});

test("control kinds are read from a comma list in the CLI's spelling, each once", () => {
  assert.deepEqual(controls("scratch,linear-probe"), ["SCRATCH", "LINEAR_PROBE"]);
  assert.deepEqual(controls(" Linear-Probe "), ["LINEAR_PROBE"]);
  assert.throws(() => controls("scratch,random"), /expected a list of scratch, linear-probe; got "random"/);
  assert.throws(() => controls("scratch,scratch"), /at most once/);
});
