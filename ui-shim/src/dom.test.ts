import { test } from "node:test";
import assert from "node:assert/strict";
import { fmtNum } from "./dom";

test("integers get en-US thousands separators without Intl", () => {
  const en = new Intl.NumberFormat("en-US");
  for (const v of [0, 7, -7, 999, 1000, -1000, 12345, 999999, 1000000, -1234567, 2 ** 31, Number.MAX_SAFE_INTEGER, 1e20]) {
    assert.equal(fmtNum(v), en.format(v), String(v));
  }
});

test("fractions keep their significant digits, tiny and huge ones an exponent", () => {
  assert.equal(fmtNum(0.012345), "0.01235");
  assert.equal(fmtNum(0.012345, 3), "0.0123");
  assert.equal(fmtNum(0.0001234), "1.23e-4");
  assert.equal(fmtNum(undefined), "–");
  assert.equal(fmtNum(Number.NaN), "–");
});
