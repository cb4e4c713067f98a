import { test } from "node:test";
import assert from "node:assert/strict";
import { firstSortKey, looksLikeExpression } from "./querytext";

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

test("the sort controls learn the first sort key wherever the sort sits in the query", () => {
  assert.deepEqual(firstSortKey("sortby loss desc"), { column: "loss", dir: "desc" });
  assert.deepEqual(firstSortKey("loss > 1 sortby loss desc, label asc"), { column: "loss", dir: "desc" });
  assert.deepEqual(firstSortKey("label == 3 | sort by confidence"), { column: "confidence", dir: "asc" });
  assert.deepEqual(firstSortKey("sortby `tag:hard` desc"), { column: "tag:hard", dir: "desc" });
  assert.equal(firstSortKey("loss > 0.5 and label == 3"), undefined);
  assert.equal(firstSortKey("resortby x"), undefined);
});
