import { test } from "node:test";
import assert from "node:assert/strict";
import { looksLikeExpression } from "./querytext";

test("direct filters, sorts and tags are sent as expressions", () => {
  for (const q of ["loss > 0.5 and label == 3", "sortby loss desc", "tag:hard", "not discarded", "origin == 'train'", "label.isin([1, 2])", "discarded"]) {
    assert.equal(looksLikeExpression(q), true, q);
  }
});

test("sentences and @commands go as natural language", () => {
  for (const q of ["show me the hardest samples", "which samples are mislabeled?", "@reset"]) {
    assert.equal(looksLikeExpression(q), false, q);
  }
});
