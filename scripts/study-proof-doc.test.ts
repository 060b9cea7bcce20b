import assert from "node:assert/strict";
import { test } from "node:test";
import { claimOutcomes, judgeClaims, mergeDoc, renderSection, type Study, sectionsOf } from "./study-proof-doc.ts";

type Cell = Study["cells"][number];
const base = { id: "m1", name: "base" };

/**
 * A finished study with one seed per cell: `acc[arm]` = final accuracy at each fraction,
 * null where the run did not finish (cancelled over budget).
 */
function study(acc: Record<"FINE_TUNE" | "SCRATCH" | "LINEAR_PROBE", (number | null)[]>, fractions = [0.1, 1]): Study {
  const cells: Cell[] = Object.entries(acc).flatMap(([arm, values]) =>
    values.map((a, i) => {
      const reached = a !== null && a >= 0.8;
      return {
        arm: arm as Cell["arm"],
        fraction: fractions[i] as number,
        samples: Math.round(100 * (fractions[i] as number)),
        runs: 1,
        seeds: a === null ? 0 : 1,
        meanAccuracy: a,
        stdAccuracy: a === null ? null : 0,
        minAccuracy: a,
        maxAccuracy: a,
        meanSeconds: a === null ? null : arm === "SCRATCH" ? 100 : 2,
        epochsToTarget: reached ? 1 : null,
        secondsToTarget: reached ? (arm === "SCRATCH" ? 50 : 1) : null,
        reachedTarget: reached ? 1 : 0,
        baseModel: base,
      };
    }),
  );
  return {
    targetAccuracy: 0.8,
    id: "s1",
    name: "proof",
    status: "SUCCEEDED",
    fractions,
    arms: ["FINE_TUNE", "SCRATCH", "LINEAR_PROBE"],
    seeds: [1],
    epochs: 2,
    createdAt: "2026-12-02T00:00:00Z",
    runs: [],
    cells,
    curve: [],
    dataset: { id: "d1", name: "MNIST 5-9" },
    baseModels: [base],
  } as Study;
}

const section = (name: string, s: Study) =>
  renderSection({
    base: name,
    study: s,
    fractions: s.fractions,
    setup: `setup of ${name}.`,
    machine: "m.",
    reproduce: "r.",
  });
const INTRO = "# Title";
const ORDER = ["digits-cnn", "mobilenet-v2"];

test("the claims follow the numbers: fine-tune ahead everywhere confirms, behind everywhere refutes", () => {
  const ahead = judgeClaims(
    study({ FINE_TUNE: [0.85, 0.9], SCRATCH: [0.5, 0.85], LINEAR_PROBE: [0.7, 0.8] }),
    [0.1, 1],
  );
  assert.deepEqual(
    ahead.map((c) => c.outcome),
    ["Confirmed", "Confirmed", "Confirmed"],
  );
  assert.match(ahead[1]?.text ?? "", /50\.0x faster to target/);
  const rendered = section(
    "mobilenet-v2",
    study({ FINE_TUNE: [0.85, 0.9], SCRATCH: [0.5, 0.85], LINEAR_PROBE: [0.7, 0.8] }),
  );
  assert.match(
    rendered,
    /per sample per epoch .*: fine-tune 0\.01 s \(at 100%\), scratch 0\.50 s \(at 100%\), linear probe 0\.01 s \(at 100%\)\./,
  );
  const behind = judgeClaims(study({ FINE_TUNE: [0.3, 0.6], SCRATCH: [0.5, 0.9], LINEAR_PROBE: [0.2, 0.5] }), [0.1, 1]);
  assert.deepEqual(
    behind.map((c) => c.outcome),
    ["Refuted", "Refuted", "Refuted"],
  );
});

test("less time is not judged when neither fine-tune nor scratch reached the target", () => {
  const neither = judgeClaims(
    study({ FINE_TUNE: [0.4, 0.4], SCRATCH: [0.2, 0.2], LINEAR_PROBE: [0.4, 0.6] }),
    [0.1, 1],
  );
  assert.equal(neither[1]?.outcome, "Not judged");
  assert.match(neither[1]?.text ?? "", /fine-tune never, scratch never.*neither arm reached the target/);
});

test("a claim whose runs did not finish is not judged (not refuted)", () => {
  const cut = judgeClaims(study({ FINE_TUNE: [0.85, 0.9], SCRATCH: [0.5, null], LINEAR_PROBE: [0.7, 0.8] }), [0.1, 1]);
  assert.deepEqual(
    cut.map((c) => c.outcome),
    ["Partly confirmed", "Not judged", "Confirmed"],
  );
  assert.match(
    cut[0]?.text ?? "",
    /^Partly confirmed \(judged at 10% only\)/,
    "a win where only 10% finished is not the claim confirmed",
  );
  assert.match(cut[0]?.text ?? "", /at 100% fine-tune 90\.0% vs scratch - \(no finished run to compare\)/);
  const rendered = section(
    "mobilenet-v2",
    study({ FINE_TUNE: [0.85, 0.9], SCRATCH: [null, null], LINEAR_PROBE: [0.7, 0.8] }),
  );
  assert.deepEqual(claimOutcomes(rendered), ["Not judged", "Not judged", "Not judged"]);
  const partial = section(
    "mobilenet-v2",
    study({ FINE_TUNE: [0.85, 0.9], SCRATCH: [0.5, null], LINEAR_PROBE: [0.7, 0.8] }),
  );
  assert.match(partial, /scratch 5\.00 s \(at 10%\)/, "the cost comes from the largest fraction that finished");
});

test("regenerating one base keeps the other base's section byte for byte and re-judges the overall verdict", () => {
  const digits = section(
    "digits-cnn",
    study({ FINE_TUNE: [0.8, 0.92], SCRATCH: [0.7, 0.92], LINEAR_PROBE: [0.6, 0.91] }),
  );
  const first = mergeDoc({ existing: "", base: "digits-cnn", section: digits, intro: INTRO, order: ORDER });
  assert.deepEqual([...sectionsOf(first).keys()], ["digits-cnn"]);

  const mobileOld = section(
    "mobilenet-v2",
    study({ FINE_TUNE: [0.3, 0.6], SCRATCH: [0.5, 0.9], LINEAR_PROBE: [0.2, 0.5] }),
  );
  const second = mergeDoc({ existing: first, base: "mobilenet-v2", section: mobileOld, intro: INTRO, order: ORDER });
  assert.equal(sectionsOf(second).get("digits-cnn"), digits, "the kept section is unchanged");
  assert.match(second, /\*\*mobilenet-v2\*\*: better accuracy: refuted; less time: refuted/);

  // Re-running mobilenet-v2 alone replaces its section (not a second copy) and its verdict line.
  const mobileNew = section(
    "mobilenet-v2",
    study({ FINE_TUNE: [0.85, 0.9], SCRATCH: [0.5, 0.85], LINEAR_PROBE: [0.7, 0.8] }),
  );
  const third = mergeDoc({ existing: second, base: "mobilenet-v2", section: mobileNew, intro: INTRO, order: ORDER });
  assert.equal(third.split("<!-- study:mobilenet-v2 -->").length, 2);
  assert.equal(sectionsOf(third).get("digits-cnn"), digits);
  assert.equal(sectionsOf(third).get("mobilenet-v2"), mobileNew);
  assert.deepEqual(claimOutcomes(mobileNew), ["Confirmed", "Confirmed", "Confirmed"]);
  assert.match(third, /\*\*mobilenet-v2\*\*: better accuracy: confirmed; less time: confirmed/);
  assert.match(
    third,
    /\*\*digits-cnn\*\*: better accuracy: partly confirmed; less time: confirmed/,
    "a tie at 100% is only partly",
  );
  assert.equal(third.match(/## Overall verdict/g)?.length, 1);
  assert.ok(third.indexOf("## digits-cnn") < third.indexOf("## mobilenet-v2"), "sections in the bases' order");
});
