import { test } from "node:test";
import assert from "node:assert/strict";
import { planCells, type PlanInput } from "./cellplan";

/** A view of 1,000 samples, 8 places on screen (10..17), samples 0..99 loaded. */
const base = (over: Partial<PlanInput>): PlanInput => ({
  cells: [],
  first: 10,
  last: 17,
  total: 1000,
  ready: (i) => i < 100,
  budget: 16,
  ...over,
});
const filledAt = (...indices: number[]): [number, boolean][] => indices.map((i) => [i, true]);

test("a screen whose samples are not loaded takes no cells: they stay parked, the skeleton shows", () => {
  const plan = planCells(base({ cells: filledAt(0, 1, 2, 3, 4, 5, 6, 7), first: 500, last: 507 }));
  assert.deepEqual(plan, { release: [], fill: [], donors: [], deferred: false });
});

test("places whose samples are in take parked cells, farthest from the screen first", () => {
  const plan = planCells(base({ cells: filledAt(0, 1, 2, 30, 31, 10, 11), ready: (i) => i !== 15 }));
  // 10 and 11 are filled already; 15 waits for its sample; 12..17 less 15 need five donors.
  assert.deepEqual(plan.fill, [12, 13, 14, 16, 17]);
  assert.deepEqual(plan.donors, [31, 30, 0, 1, 2]);
  assert.deepEqual(plan.release, []);
});

test("with too few parked cells the rest come from the pool (fewer donors than places)", () => {
  const plan = planCells(base({ cells: filledAt(40) }));
  assert.deepEqual(plan.fill, [10, 11, 12, 13, 14, 15, 16, 17]);
  assert.deepEqual(plan.donors, [40]);
});

test("the budget caps the fills, top first, and says that more wait", () => {
  const plan = planCells(base({ budget: 3 }));
  assert.deepEqual(plan.fill, [10, 11, 12]);
  assert.equal(plan.deferred, true);
  assert.equal(planCells(base({ budget: 8 })).deferred, false);
});

test("a cell on screen still loading is filled in place once its sample is in, without a donor", () => {
  const plan = planCells(base({ cells: [[10, false], [50, true]], last: 10 }));
  assert.deepEqual(plan.fill, [10]);
  assert.deepEqual(plan.donors, []);
});

test("cells past the end of a shorter view, loading cells off screen, and cells whose sample left go back", () => {
  const plan = planCells(
    base({
      cells: [[5, true], [6, false], [12, true], [13, true], [990, true]],
      total: 900,
      ready: (i) => i !== 13 && i < 100,
    }),
  );
  // 990 is past the view's end; 6 is off screen and would never be filled there; 13's sample
  // is no longer loaded. 5 stays parked, 12 stays filled.
  assert.deepEqual(plan.release.sort((a, b) => a - b), [6, 13, 990]);
  assert.ok(!plan.fill.includes(12) && !plan.fill.includes(13));
  assert.deepEqual(plan.donors, [5]);
});

test("the screen's end is the view's: no place past the last sample is filled", () => {
  const plan = planCells(base({ first: 96, last: 103, total: 99 }));
  assert.deepEqual(plan.fill, [96, 97, 98]);
});
