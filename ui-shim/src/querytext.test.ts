import { test } from "node:test";
import assert from "node:assert/strict";
import { describeView, firstSortKey, looksLikeExpression, refusal, sortControl } from "./querytext";

test("direct filters, sorts and tags are sent as expressions", () => {
  for (const q of ["loss > 0.5 and label == 3", "sortby loss desc", "tag:hard", "not discarded", "origin == 'train'", "label.isin([1, 2])", "discarded", "label in [1, 2]", "label not in (4, 5)", "loss between 0.2 and 0.5"]) {
    assert.equal(looksLikeExpression(q), true, q);
  }
});

test("sentences and @commands go as natural language", () => {
  for (const q of ["show me the hardest samples", "which samples are mislabeled?", "@reset", "top 5 by loss", "samples in the val split"]) {
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

test("the view line names the filters, the sort and the limit in force", () => {
  assert.equal(describeView([], [], ""), "");
  assert.equal(describeView(["label == 3"], [{ column: "loss", descending: true }], "head:5"), "label == 3 · sorted by loss ↓ · first 5");
  assert.equal(describeView(["loss > 1", "tag:hard"], [], ""), "loss > 1 and tag:hard");
  assert.equal(describeView([], [{ column: "label", descending: false }, { column: "loss", descending: true }], "tail:1000"), "sorted by label ↑, loss ↓ · last 1,000");
  assert.equal(describeView([], [], "", 2), "2 re-sorted windows");
});

test("the sort controls follow the view's first sort key, and row order without one", () => {
  assert.deepEqual(sortControl([]), { column: "index", dir: "asc" });
  assert.deepEqual(sortControl([{ column: "loss", descending: true }, { column: "label", descending: false }]), { column: "loss", dir: "desc" });
});

test("a refusal says 'not understood' once, and a long one is cut for the toast", () => {
  assert.deepEqual(refusal("Query not understood: unknown column 'lss'. Example: loss > 0.5"), {
    toast: "The query was not understood: unknown column 'lss'. Example: loss > 0.5",
    detail: "",
  });
  const long =
    "Query not understood: could not understand 'how' in \"how many samples are discarded?\"; phrases understood: highest/lowest <column>, top <n> by <column>, <column> above/below <number>, label <n>, misclassified, correct, tagged <tag>, from train/val/test (at column 1). Example: show the 100 highest-loss samples";
  const r = refusal(long);
  assert.equal(r.toast, "The query was not understood: could not understand 'how' in \"how many samples are discarded?\". See the explanation under the query box.");
  assert.ok(r.detail.startsWith("could not understand 'how'") && r.detail.endsWith("highest-loss samples"));
  assert.ok(!/not understood/i.test(r.detail));
});
