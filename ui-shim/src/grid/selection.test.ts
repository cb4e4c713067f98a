import { test } from "node:test";
import assert from "node:assert/strict";
import { moveFocus, Selection } from "./selection";

const at = (i: number) => (i % 5 === 4 ? undefined : { id: `s${i}`, origin: i < 10 ? "train" : "test" });

test("click, ctrl-click and shift-click build the expected selection", () => {
  const sel = new Selection();
  sel.only(2, "s2", "train");
  assert.deepEqual(sel.ids(), ["s2"]);
  sel.toggle(7, "s7", "train");
  assert.deepEqual(sel.ids().sort(), ["s2", "s7"]);
  sel.toggle(7, "s7", "train");
  assert.deepEqual(sel.ids(), ["s2"]);
  sel.only(2, "s2", "train");
  sel.range(12, at);
  // Indices 4 and 9 are not loaded, so they cannot be named and are skipped.
  assert.deepEqual(sel.ids(), ["s2", "s3", "s5", "s6", "s7", "s8", "s10", "s11", "s12"]);
  assert.deepEqual(sel.origins().slice(-3), ["test", "test", "test"]);
  assert.equal(sel.focus, 12);
  assert.equal(sel.anchor, 2);
});

test("a range backwards from the anchor and an additive range", () => {
  const sel = new Selection();
  sel.only(8, "s8", "train");
  sel.range(5, at);
  assert.deepEqual(sel.ids(), ["s5", "s6", "s7", "s8"]);
  sel.anchor = 20;
  sel.range(21, at, true);
  assert.equal(sel.size, 6);
  sel.clear();
  assert.equal(sel.size, 0);
  assert.equal(sel.focus, -1);
});

test("arrow keys stay inside the grid", () => {
  assert.equal(moveFocus(-1, "ArrowRight", 4, 10), 1);
  assert.equal(moveFocus(0, "ArrowLeft", 4, 10), 0);
  assert.equal(moveFocus(1, "ArrowDown", 4, 10), 5);
  assert.equal(moveFocus(9, "ArrowDown", 4, 10), 9);
  assert.equal(moveFocus(6, "ArrowUp", 4, 10), 2);
  assert.equal(moveFocus(3, "PageDown", 4, 100, 3), 15);
  assert.equal(moveFocus(3, "End", 4, 100), 99);
  assert.equal(moveFocus(50, "Home", 4, 100), 0);
  assert.equal(moveFocus(3, "x", 4, 100), 3);
  assert.equal(moveFocus(3, "ArrowDown", 4, 0), -1);
});

test("property: moveFocus always returns an index inside [0, total)", () => {
  const keys = ["ArrowLeft", "ArrowRight", "ArrowUp", "ArrowDown", "PageUp", "PageDown", "Home", "End"];
  let seed = 12345;
  const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) >>> 0) % n);
  for (let k = 0; k < 5000; k++) {
    const total = 1 + rnd(500);
    const cols = 1 + rnd(12);
    const f = rnd(total + 3) - 1;
    const next = moveFocus(f, keys[rnd(keys.length)], cols, total, 1 + rnd(5));
    assert.ok(next >= 0 && next < total, `focus ${f} cols ${cols} total ${total} -> ${next}`);
  }
});
