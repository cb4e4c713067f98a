import { test } from "node:test";
import assert from "node:assert/strict";
import { buildEdit } from "./hpedit";

test("an edit sets only the matching HyperParameters field", () => {
  assert.deepEqual(buildEdit("learning_rate", "0.003"), { hp: { learningRate: 0.003 } });
  assert.deepEqual(buildEdit("batch_size", "128"), { hp: { batchSize: 128 } });
  assert.deepEqual(buildEdit("checkpoint_frequency", "500"), { hp: { checkpontFrequency: 500 } });
  assert.deepEqual(buildEdit("experiment_name", "  run b "), { hp: { experimentName: "run b" } });
});

test("invalid values are refused with a reason", () => {
  for (const [name, raw, hint] of [
    ["batch_size", "12.5", "whole number"],
    ["batch_size", "abc", "must be a number"],
    ["learning_rate", "0", "greater than 0"],
    ["training_steps_to_do", "-1", "negative"],
    ["model_age", "3", "cannot be changed"],
    ["experiment_name", " ", "cannot be empty"],
  ]) {
    const r = buildEdit(name, raw);
    assert.ok("error" in r && r.error.includes(hint), `${name}=${raw}: ${JSON.stringify(r)}`);
  }
});

test("a number field's unreadable text is reported without quoting an empty value", () => {
  // A number input that holds "abc" reports value "" and validity.badInput.
  for (const r of [buildEdit("learning_rate", "", true), buildEdit("learning_rate", "")]) {
    assert.ok("error" in r);
    assert.equal(r.error, "learning_rate must be a number.");
  }
  const typed = buildEdit("learning_rate", "abc");
  assert.ok("error" in typed && typed.error.includes("“abc”"));
  // badInput wins over a value that would otherwise pass.
  assert.ok("error" in buildEdit("batch_size", "64", true));
});
