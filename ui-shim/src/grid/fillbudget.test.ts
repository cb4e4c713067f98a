import { test } from "node:test";
import assert from "node:assert/strict";
import { FillBudget } from "./fillbudget";

test("a fill-in whose frames keep time fills more per frame, up to the bound", () => {
  const b = new FillBudget(8, 4, 16);
  let t = 1000;
  assert.equal(b.take(t), 8, "the first frame has nothing measured yet");
  const seen = [];
  for (let i = 0; i < 4; i++) {
    b.filled(t);
    t += 16.7;
    seen.push(b.take(t));
  }
  assert.deepEqual(seen, [12, 16, 16, 16]);
});

test("long frames halve the fills, never below the bound", () => {
  const b = new FillBudget(16, 4, 16);
  let t = 0;
  b.take(t);
  const seen = [];
  for (let i = 0; i < 4; i++) {
    b.filled(t);
    t += 60;
    seen.push(b.take(t));
  }
  assert.deepEqual(seen, [8, 4, 4, 4]);
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
