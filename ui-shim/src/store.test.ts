import { test } from "node:test";
import assert from "node:assert/strict";
import { evaluatingBetweenSteps, evaluationActive, trainingOn } from "./store";

test("only the evaluation board's running states count as an evaluation", () => {
  for (const s of ["requested", "running"]) assert.equal(evaluationActive(s), true, s);
  for (const s of ["", "idle", "done", "canceled", "error"]) assert.equal(evaluationActive(s), false, s);
});

test("training reported off while an evaluation it started runs is shown as evaluating, not paused", () => {
  // Training was on, the server now reports it off, and an evaluation runs: between steps.
  assert.equal(evaluatingBetweenSteps(true, false, "running"), true);
  // No evaluation running (a pause, the end of training_steps_to_do): paused.
  assert.equal(evaluatingBetweenSteps(true, false, "done"), false);
  // The status could not be read: say what the server said.
  assert.equal(evaluatingBetweenSteps(true, false, undefined), false);
  // An evaluation of a paused trainer leaves it paused: not "between steps".
  assert.equal(evaluatingBetweenSteps(false, false, "running"), false);
  assert.equal(evaluatingBetweenSteps(true, true, "running"), false);
  assert.equal(trainingOn({ training: false, evaluating: true }), true);
  assert.equal(trainingOn({ training: false, evaluating: false }), false);
});
