import { test } from "node:test";
import assert from "node:assert/strict";
import { FillBudget } from "./fillbudget";

/** The budgets of `frames` filling frames that each took `frameMs`, after a first one. */
function budgetsOver(b: FillBudget, frameMs: number, frames: number): number[] {
  let t = 1000;
  b.take(t);
  const seen = [];
  for (let i = 0; i < frames; i++) {
    b.filled(t);
    t += frameMs;
    seen.push(b.take(t));
  }
  return seen;
}

test("a fill-in whose frames keep time fills more per frame, up to the bound", () => {
  assert.equal(new FillBudget(8, 4, 16).take(0), 8, "the first frame has nothing measured yet");
  assert.deepEqual(budgetsOver(new FillBudget(8, 4, 16), 16.7, 4), [12, 16, 16, 16]);
});

test("long frames halve the fills, never below the bound", () => {
  assert.deepEqual(budgetsOver(new FillBudget(16, 4, 16), 60, 4), [8, 4, 4, 4]);
});

test("frames in between neither raise nor lower it, and a new fill-in is not judged by the last", () => {
  const b = new FillBudget(8, 4, 16);
  b.take(0);
  b.filled(0);
  assert.equal(b.take(25), 8, "25 ms: neither fast nor slow");
  b.filled(25);
  assert.equal(b.take(2000), 8, "seconds later: another fill-in, not a slow frame");
});

test("a filling frame is judged once, by the frame after it", () => {
  const b = new FillBudget(8, 4, 16);
  b.take(0);
  b.filled(0);
  assert.equal(b.take(16), 12, "a quick filling frame");
  assert.equal(b.take(60), 12, "a later frame that filled nothing does not judge it again");
});

test("each fill-in starts from the first guess, not from where the last one ended", () => {
  const b = new FillBudget(8, 4, 16);
  assert.deepEqual(budgetsOver(b, 16.7, 3), [12, 16, 16], "a quick fill-in ends at the ceiling");
  assert.equal(b.take(5000), 8, "the next fill-in, seconds later, starts at the first guess");
  b.filled(5000);
  assert.equal(b.take(5016), 12, "and ramps up again");
  assert.equal(b.take(5100), 12, "frames that fill nothing within a fill-in keep its pace");
});
