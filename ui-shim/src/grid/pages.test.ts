import { test } from "node:test";
import assert from "node:assert/strict";
import { PageCache, type PageSource } from "./pages";
import type { Sample } from "./records";

// Node has no blob URLs: count registrations and revocations instead.
let made = 0;
let revoked = 0;
URL.createObjectURL = () => `blob:test/${++made}`;
URL.revokeObjectURL = () => void revoked++;

function sample(id: string, withImage: boolean): Sample {
  return { id, origin: "train", discarded: false, tags: [], fields: new Map(), image: withImage ? { bytes: new Uint8Array([1]), mime: "image/png", shape: [] } : undefined };
}

function fakeSource(total: number, order: () => number[] = () => [...Array(total).keys()]) {
  const calls: { start: number; withImages: boolean }[] = [];
  const source: PageSource = {
    async fetch(start, count, _signal, withImages) {
      calls.push({ start, withImages });
      const ids = order().slice(start, start + count);
      return { samples: ids.map((i) => sample(String(i), withImages)), viewCount: total };
    },
  };
  return { source, calls };
}

const settle = () => new Promise((r) => setTimeout(r, 0));

test("pages load nearest first, report the view size, and make blob URLs only on use", async () => {
  made = 0;
  const { source, calls } = fakeSource(1000);
  const cache = new PageCache(source, 10, 5);
  let viewCount = 0;
  cache.onViewCount = (n) => (viewCount = n);
  cache.want(40, 69, 1000);
  for (let i = 0; i < 5; i++) await settle();
  assert.deepEqual(calls.map((c) => c.start).slice(0, 3).sort((a, b) => a - b), [40, 50, 60]);
  assert.equal(viewCount, 1000);
  assert.equal(cache.get(45)?.id, "45");
  assert.equal(made, 0, "no blob before a cell asks for it");
  assert.equal(cache.thumbPending(45), true);
  assert.equal(cache.thumb(45, false), undefined);
  const url = cache.thumb(45);
  assert.equal(cache.thumb(45), url, "a URL is made once per sample");
  assert.equal(made, 1);
});

test("the cache stays bounded and revokes the URLs of evicted pages", async () => {
  revoked = 0;
  const { source } = fakeSource(1000);
  const cache = new PageCache(source, 10, 3);
  for (const start of [0, 100, 200, 300, 400]) {
    cache.want(start, start + 9, 1000);
    for (let i = 0; i < 3; i++) await settle();
    cache.thumb(start);
  }
  cache.want(500, 509, 1000);
  await settle();
  const held = [0, 100, 200, 300, 400].filter((s) => cache.get(s) !== undefined).length;
  assert.ok(held <= 3, `at most 3 pages kept, ${held} held`);
  assert.ok(revoked >= 2, `evicted pages' URLs are revoked (${revoked})`);
});

test("a refresh sends no images and keeps them; a reordered page is fetched again in full", async () => {
  let order = [...Array(100).keys()];
  const { source, calls } = fakeSource(100, () => order);
  const cache = new PageCache(source, 10, 10);
  cache.want(0, 9, 100);
  for (let i = 0; i < 3; i++) await settle();
  const url = cache.thumb(3);
  calls.length = 0;
  cache.refresh([0]);
  for (let i = 0; i < 3; i++) await settle();
  assert.deepEqual(calls, [{ start: 0, withImages: false }]);
  assert.equal(cache.thumb(3), url, "the image survives a stats refresh");
  order = [...order].reverse();
  calls.length = 0;
  cache.refresh([0]);
  for (let i = 0; i < 5; i++) await settle();
  assert.deepEqual(calls, [{ start: 0, withImages: false }, { start: 0, withImages: true }]);
  assert.equal(cache.get(0)?.id, "99");
  assert.ok(cache.get(0)?.image, "the reordered page has images again");
});

test("a reset ignores answers for the old view", async () => {
  let release: () => void = () => {};
  const gate = new Promise<void>((r) => (release = r));
  const source: PageSource = {
    async fetch(start, count) {
      await gate;
      return { samples: [...Array(count).keys()].map((k) => sample(String(start + k), true)) };
    },
  };
  const cache = new PageCache(source, 10, 10);
  cache.want(0, 9, 100);
  cache.reset();
  release();
  for (let i = 0; i < 3; i++) await settle();
  assert.equal(cache.get(0), undefined);
});
