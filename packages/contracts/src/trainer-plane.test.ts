import assert from "node:assert/strict";
import { test } from "node:test";
import { idsFromEventsSubject, runEventsSubject } from "./subjects.ts";
import { deriveJobToken, jobClaim, sameSecret, trainerPermissions } from "./trainer-plane.ts";

test("an events subject names its trainer first, and reads back only when well formed", () => {
  assert.equal(runEventsSubject("t-1", "r-1"), "graft.events.t-1.r-1");
  assert.deepEqual(idsFromEventsSubject("graft.events.t-1.r-1"), { trainerId: "t-1", runId: "r-1" });
  for (const bad of ["graft.events.t-1", "graft.events.t-1.r-1.x", "graft.runs.r-1.events", "other.events.t.r"]) {
    assert.equal(idsFromEventsSubject(bad), undefined, bad);
  }
  assert.throws(() => runEventsSubject("*", "r-1"), /invalid trainer id/);
});

test("a trainer may publish only under its own id and pull only its pool's consumer", () => {
  const { pub, sub } = trainerPermissions("t-1", "gpu");
  assert.ok(pub.includes("graft.events.t-1.*"));
  assert.ok(pub.includes("graft.trainers.t-1.heartbeat"));
  assert.ok(pub.includes("$JS.API.CONSUMER.MSG.NEXT.GRAFT_JOBS.jobs-gpu"));
  assert.equal(
    pub.some(
      (s) => s.startsWith("$JS.API.STREAM") || (s.includes(">") && !s.startsWith("$JS.ACK.GRAFT_JOBS.jobs-gpu.")),
    ),
    false,
    "no stream administration, no wide wildcards",
  );
  assert.deepEqual(sub, ["_INBOX_t-1.>", "graft.trainers.t-1.control", "graft.runs.*.control"]);
});

test("a claim binds run, attempt and trainer to the run's job token", () => {
  const token = deriveJobToken("secret", "r-1");
  assert.notEqual(token, deriveJobToken("secret", "r-2"));
  assert.notEqual(token, deriveJobToken("other", "r-1"));
  const ids = { runId: "r-1", attempt: 1, trainerId: "t-1" };
  const claim = jobClaim(token, ids);
  assert.ok(sameSecret(claim, jobClaim(token, ids)));
  assert.ok(!sameSecret(claim, jobClaim(token, { ...ids, attempt: 2 })));
  assert.ok(!sameSecret(claim, jobClaim(token, { ...ids, trainerId: "t-2" })));
  assert.ok(!sameSecret(claim, "short"));
});
