import { test } from "node:test";
import assert from "node:assert/strict";
import { nearestSaved, pointRestore, pointRestoreLabel, latestText } from "./checkpoint";

test("the nearest saved step is picked as the server picks it, ties going to the later step", () => {
  // The same cases as backend/src/experiment/runs.rs `nearest_step_ties_go_up`.
  assert.equal(nearestSaved([100, 200, 300], 150), 200);
  assert.equal(nearestSaved([100, 200, 300], 140), 100);
  assert.equal(nearestSaved([100, 200, 300], 1000), 300);
  assert.equal(nearestSaved([300, 100, 200], 250), 300);
  assert.equal(nearestSaved([], 5), undefined);
});

test("a point restore names the saved step the server will load", () => {
  assert.deepEqual(pointRestore([], -1, 313), { kind: "none" });
  assert.deepEqual(pointRestore([250, 500, 750, 1000], 1000, 313), { kind: "exact", step: 250 });
  assert.deepEqual(pointRestore([250, 500, 750, 1000], 1000, 375), { kind: "exact", step: 500 });
  assert.deepEqual(pointRestore([250, 500, 750, 1000], 1000, 3864), { kind: "exact", step: 1000 });
  assert.deepEqual(pointRestore([0], 0, 7), { kind: "exact", step: 0 });
});

test("without the list of saved steps, only a step past the latest is named", () => {
  assert.deepEqual(pointRestore([], 1000, 3864), { kind: "exact", step: 1000 });
  assert.deepEqual(pointRestore([], 1000, 1000), { kind: "exact", step: 1000 });
  assert.deepEqual(pointRestore([], 1000, 313), { kind: "nearest", latest: 1000 });
});

test("the menu never promises the step that was clicked unless it is the one restored", () => {
  assert.equal(pointRestoreLabel({ kind: "exact", step: 1000 }, 3864), "Restore the checkpoint at step 1,000 (nearest to 3,864)…");
  assert.equal(pointRestoreLabel({ kind: "exact", step: 1000 }, 1000), "Restore the checkpoint at step 1,000…");
  assert.equal(pointRestoreLabel({ kind: "nearest", latest: 1000 }, 313), "Restore the checkpoint nearest to step 313…");
  assert.match(pointRestoreLabel({ kind: "none" }, 313), /no saved checkpoint/i);
  assert.equal(latestText(-1), "—");
  assert.equal(latestText(0), "step 0");
  assert.equal(latestText(12000), "step 12,000");
});
