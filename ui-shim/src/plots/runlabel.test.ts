import { test } from "node:test";
import assert from "node:assert/strict";
import { shortHash } from "./runlabel";

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
