import { test } from "node:test";
import assert from "node:assert/strict";
import { PageCache, type PageSource } from "./pages";
import type { Sample } from "./records";

// The source makes the thumbnail URLs; the cache must hand every one back exactly once.
let made = 0;
let released: string[] = [];
const urlFor = (s: Sample) => (s.image ? `blob:test/${++made}` : "");
const release = (urls: string[]) => void released.push(...urls.filter((u) => u));

function sample(id: string, withImage: boolean): Sample {
  return { id, origin: "train", discarded: false, tags: [], fields: new Map(), image: withImage ? { bytes: new Uint8Array([1]), mime: "image/png", shape: [] } : undefined };
}

function fakeSource(total: number, order: () => number[] = () => [...Array(total).keys()]) {
  const calls: { start: number; withImages: boolean }[] = [];
  const source: PageSource = {
    async fetch(start, count, _signal, withImages) {
      calls.push({ start, withImages });
      const ids = order().slice(start, start + count);
      const samples = ids.map((i) => sample(String(i), withImages));
      return { samples, urls: samples.map(urlFor), viewCount: total };
    },
    release,
  };
  return { source, calls };
}

const settle = () => new Promise((r) => setTimeout(r, 0));

test("pages load nearest first, report the view size and carry their thumbnail URLs", async () => {
  const { source, calls } = fakeSource(1000);
  const cache = new PageCache(source, 10, 5);
  let viewCount = 0;
  cache.onViewCount = (n) => (viewCount = n);
  cache.want(40, 69, 1000);
  for (let i = 0; i < 5; i++) await settle();
  assert.deepEqual(calls.map((c) => c.start).slice(0, 3).sort((a, b) => a - b), [40, 50, 60]);
  assert.equal(viewCount, 1000);
  assert.equal(cache.get(45)?.id, "45");
  assert.match(cache.thumb(45) ?? "", /^blob:test\//);
  assert.notEqual(cache.thumb(45), cache.thumb(46));
  assert.equal(cache.thumb(5), undefined, "nothing for a page not loaded");
});

test("the cache stays bounded and releases the URLs of evicted pages once", async () => {
  released = [];
  const { source } = fakeSource(1000);
  const cache = new PageCache(source, 10, 3);
  for (const start of [0, 100, 200, 300, 400]) {
    cache.want(start, start + 9, 1000);
    for (let i = 0; i < 3; i++) await settle();
  }
  cache.want(500, 509, 1000);
  await settle();
  const held = [0, 100, 200, 300, 400].filter((s) => cache.get(s) !== undefined).length;
  assert.ok(held <= 3, `at most 3 pages kept, ${held} held`);
  assert.ok(released.length >= 20, `evicted pages' URLs are released (${released.length})`);
  assert.equal(new Set(released).size, released.length, "no URL is released twice");
  cache.reset();
  assert.equal(released.length, 60, "a reset releases the rest: 6 pages of 10 were made");
});

test("a refresh sends no images and keeps them; a reordered page is fetched again in full", async () => {
  let order = [...Array(100).keys()];
  const { source, calls } = fakeSource(100, () => order);
  const cache = new PageCache(source, 10, 10);
  cache.want(0, 9, 100);
  for (let i = 0; i < 3; i++) await settle();
  const url = cache.thumb(3);
  assert.ok(url);
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
  let open: () => void = () => {};
  const gate = new Promise<void>((r) => (open = r));
  const source: PageSource = {
    async fetch(start, count) {
      await gate;
      const samples = [...Array(count).keys()].map((k) => sample(String(start + k), true));
      return { samples, urls: samples.map(urlFor) };
    },
    release,
  };
  const cache = new PageCache(source, 10, 10);
  cache.want(0, 9, 100);
  cache.reset();
  released = [];
  open();
  for (let i = 0; i < 3; i++) await settle();
  assert.equal(cache.get(0), undefined);
  assert.equal(released.length, 10, "the stale answer's URLs go straight back");
});

test("on-screen pages go out first; read-ahead waits until they are in", async () => {
  const gates: (() => void)[] = [];
  const calls: number[] = [];
  const source: PageSource = {
    async fetch(start, count) {
      calls.push(start);
      await new Promise<void>((r) => gates.push(r));
      const samples = [...Array(count).keys()].map((k) => sample(String(start + k), true));
      return { samples, urls: samples.map(urlFor), viewCount: 1000 };
    },
    release,
  };
  const cache = new PageCache(source, 10, 20);
  // On screen: samples 100..129 (pages 10–12); 20 samples of read-ahead each side (8–9, 13–14).
  cache.want(100, 129, 1000, true, 20);
  await settle();
  assert.deepEqual([...calls].sort((a, b) => a - b), [100, 110, 120], "only the visible pages while they load");
  for (const g of gates.splice(0)) g();
  for (let i = 0; i < 5; i++) await settle();
  assert.deepEqual(calls.slice(3).sort((a, b) => a - b), [80, 90, 130, 140], "then the read-ahead on both sides");
  for (const g of gates.splice(0)) g();
  for (let i = 0; i < 5; i++) await settle();
  assert.equal(cache.get(85)?.id, "85");
});
