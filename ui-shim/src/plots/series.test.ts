import { test } from "node:test";
import assert from "node:assert/strict";
import { create } from "@bufbuild/protobuf";
import { LoggerDataPointSchema } from "../gen/experiment_service_pb.js";
import { align, appendPoints, insert, longestCurve, replaceHistory, replaceRange, type Curve, type Store } from "./series";

const pt = (metric: string, x: number, y: number, extra: Record<string, unknown> = {}) =>
  create(LoggerDataPointSchema, { metricName: metric, modelAge: x, metricValue: y, experimentHash: "h1", ...extra });

test("history replaces, polls append, out-of-order points land in order", () => {
  const store: Store = new Map();
  replaceHistory(store, [pt("loss", 1, 1), pt("loss", 2, 0.9)]);
  appendPoints(store, [pt("loss", 4, 0.7), pt("loss", 3, 0.8), pt("loss", 4, 0.65)]);
  const c = store.get("loss")?.get("h1") ?? [];
  assert.deepEqual(c.map((p) => [p.x, p.y]), [[1, 1], [2, 0.9], [3, 0.8], [4, 0.65]]);
  replaceHistory(store, [pt("loss", 10, 0.5)]);
  assert.deepEqual(store.get("loss")?.get("h1")?.map((p) => p.x), [10]);
});

test("an evaluation marker at a logged step is kept beside the training point", () => {
  const c: Curve = [];
  insert(c, { x: 5, y: 1, marker: false, note: "" });
  insert(c, { x: 5, y: 2, marker: true, note: "" });
  insert(c, { x: 5, y: 3, marker: true, note: "" });
  assert.equal(c.length, 2);
  assert.equal(c.find((p) => p.marker)?.y, 3);
});

test("zoom detail replaces exactly the points inside the range", () => {
  const store: Store = new Map();
  replaceHistory(store, [0, 10, 20, 30, 40].map((x) => pt("loss", x, x)));
  replaceRange(store, "loss", 10, 30, [11, 12, 13, 29].map((x) => pt("loss", x, -x)));
  assert.deepEqual(store.get("loss")?.get("h1")?.map((p) => p.x), [0, 11, 12, 13, 29, 40]);
});

test("runs are aligned on a shared x axis with bands, markers and notes", () => {
  const store: Store = new Map();
  replaceHistory(store, [
    pt("loss", 1, 1, { hasValueRange: true, valueMin: 0.5, valueMax: 1.5 }),
    pt("loss", 3, 0.5, { pointNote: "lr drop" }),
    pt("loss", 3, 0.6, { isEvaluationMarker: true }),
    pt("loss", 2, 2, { experimentHash: "h2" }),
  ]);
  const a = align(store.get("loss") as Map<string, Curve>);
  assert.deepEqual(a.xs, [1, 2, 3]);
  const h1 = a.runs.find((r) => r.hash === "h1");
  assert.deepEqual(h1?.y, [1, null, 0.5]);
  assert.deepEqual(h1?.lo, [0.5, null, null]);
  assert.equal(h1?.hasBand, true);
  assert.equal(h1?.mk[2], 0.6);
  assert.deepEqual(a.runs.find((r) => r.hash === "h2")?.y, [null, 2, null]);
  assert.deepEqual(a.notes.map((n) => n.note), ["lr drop"]);
});

test("property: after random inserts a curve is sorted with one point per (step, kind)", () => {
  let seed = 7;
  const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) >>> 0) % n);
  for (let round = 0; round < 200; round++) {
    const c: Curve = [];
    for (let k = 0; k < 60; k++) insert(c, { x: rnd(40), y: k, marker: rnd(4) === 0, note: "" });
    for (let i = 1; i < c.length; i++) assert.ok(c[i - 1].x <= c[i].x, "x order");
    const keys = c.map((p) => `${p.x}/${p.marker}`);
    assert.equal(new Set(keys).size, keys.length, "no duplicate (step, kind)");
  }
});

test("longestCurve finds the longest curve of any metric and run", () => {
  const store: Store = new Map();
  assert.equal(longestCurve(store), 0);
  appendPoints(store, [pt("loss", 1, 1), pt("loss", 2, 1), pt("acc", 1, 1)]);
  appendPoints(store, [1, 2, 3].map((x) => pt("acc", x, 0, { experimentHash: "h2" })));
  assert.equal(longestCurve(store), 3);
});
