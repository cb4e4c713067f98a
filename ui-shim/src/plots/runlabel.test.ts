import { test } from "node:test";
import assert from "node:assert/strict";
import { RUN_COLORS, runColor, shortHash } from "./runlabel";

test("runs that differ only in their data state get different labels", () => {
  const before = "41d6965d2f6a11b0c3e4f5a6";
  const afterDiscard = "41d6965d2f6a11b09b8c7d6e";
  assert.equal(shortHash(before), "41d6·2f6a·c3e4");
  assert.equal(shortHash(afterDiscard), "41d6·2f6a·9b8c");
});

test("other hashes keep their first 8 characters, and an empty one reads as a run", () => {
  assert.equal(shortHash("run-from-another-server"), "run-from");
  assert.equal(shortHash("short"), "short");
  assert.equal(shortHash(""), "run");
});

test("a run keeps its colour whatever the order runs come in, and two runs differ while colours last", () => {
  const a = "41d6965d2f65f1203c03aaaa";
  const b = "41d6965d2f65f1203c03bbbb";
  assert.equal(runColor(a, new Set()), runColor(a, new Set()));
  const first = runColor(a, new Set());
  const second = runColor(b, new Set([first]));
  assert.notEqual(first, second);
  // Every colour taken: the run's own colour again.
  assert.ok(RUN_COLORS.includes(runColor(a, new Set(RUN_COLORS))));
});
