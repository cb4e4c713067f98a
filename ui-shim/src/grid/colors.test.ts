import { test } from "node:test";
import assert from "node:assert/strict";
import { lossColor, splitColor } from "./colors";

test("loss heat runs from green to red and saturates at 3", () => {
  assert.equal(lossColor(0), "hsl(120, 70%, 65%)");
  assert.equal(lossColor(1.5), "hsl(60, 70%, 65%)");
  assert.equal(lossColor(3), "hsl(0, 70%, 65%)");
  assert.equal(lossColor(40), lossColor(3));
  assert.equal(lossColor(undefined), lossColor(0));
  assert.equal(lossColor(-1), lossColor(0));
});

test("the usual split names keep their colour; others get a stable one", () => {
  assert.equal(splitColor("Train"), splitColor("train_loader"));
  assert.equal(splitColor("holdout-7"), splitColor("holdout-7"));
});
