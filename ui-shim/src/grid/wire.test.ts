import { test } from "node:test";
import assert from "node:assert/strict";
import { base64 } from "./wire";

test("base64 matches Node's encoder across lengths and the 32 KiB chunk edge", () => {
  for (const n of [0, 1, 2, 3, 4, 0x8000 - 1, 0x8000, 0x8000 + 1, 100_003]) {
    const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 131 + 7) & 255);
    assert.equal(base64(bytes), Buffer.from(bytes).toString("base64"), `length ${n}`);
  }
});

test("base64 uses the browser's toBase64 where there is one", () => {
  const bytes = Object.assign(new Uint8Array([1, 2, 3]), { toBase64: () => "native" });
  assert.equal(base64(bytes), "native");
});
