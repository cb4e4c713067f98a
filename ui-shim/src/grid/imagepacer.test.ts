import { test } from "node:test";
import assert from "node:assert/strict";
import { ImagePacer } from "./imagepacer";

// Frames on demand; images reduced to the one attribute the pacer touches; a clock that each
// load moves on by `costMs`, so the pacer measures a known cost.
const frames: (() => void)[] = [];
const later = (pump: () => void) => void frames.push(pump);
const runFrame = () => frames.splice(0).forEach((f) => f());
const settle = () => new Promise((r) => setTimeout(r, 0));
let clock = 0;
let costMs = 1;
const now = () => clock;

class FakeImg {
  attr: string | null = null;
  set src(v: string) {
    this.attr = v;
    clock += costMs;
  }
  getAttribute(): string | null {
    return this.attr;
  }
  removeAttribute(): void {
    this.attr = null;
  }
}
const img = () => new FakeImg() as unknown as HTMLImageElement & FakeImg;

test("loads go out a few per frame, in the order asked, and clearing is immediate", () => {
  // A 1.5 ms budget at the first guess of 0.5 ms a load: 3 per frame.
  const pacer = new ImagePacer(1.5, now, later);
  const imgs = Array.from({ length: 7 }, img);
  imgs.forEach((im, k) => pacer.set(im, `blob:${k}`));
  assert.equal(imgs.filter((im) => im.attr).length, 0, "nothing before the frame");
  runFrame();
  assert.deepEqual(imgs.map((im) => im.attr), ["blob:0", "blob:1", "blob:2", null, null, null, null]);
  pacer.set(imgs[3], undefined);
  pacer.set(imgs[1], undefined);
  assert.equal(imgs[1].attr, null, "a cleared cell drops its image at once");
  runFrame();
  runFrame();
  assert.deepEqual(imgs.map((im) => im.attr), ["blob:0", null, "blob:2", null, "blob:4", "blob:5", "blob:6"]);
  assert.equal(frames.length, 0, "no frames asked for once the queue is empty");
});

test("a cell moved on before its turn gets only its latest image, and the old one is not shown meanwhile", () => {
  const pacer = new ImagePacer(0.5, now, later);
  const a = img();
  a.attr = "blob:old";
  pacer.set(a, "blob:new");
  assert.equal(a.attr, null);
  pacer.set(a, "blob:newer");
  runFrame();
  assert.equal(a.attr, "blob:newer");
  pacer.set(a, "blob:newer");
  assert.equal(frames.length, 0, "setting the URL it shows is a no-op");
});

test("a cancelled load never starts, and the image shown stays", () => {
  const pacer = new ImagePacer(4, now, later);
  const a = img();
  const b = img();
  b.attr = "blob:shown";
  pacer.set(a, "blob:a");
  pacer.cancel(a);
  pacer.cancel(b);
  runFrame();
  assert.equal(a.attr, null, "the cancelled load did not start");
  assert.equal(b.attr, "blob:shown", "cancel leaves the image alone");
});

test("the loads per frame follow their measured cost, within bounds", async () => {
  const pacer = new ImagePacer(4, now, later);
  assert.equal(pacer.perFrame, 8, "4 ms at the first guess of 0.5 ms a load");
  const load = async () => {
    const imgs = Array.from({ length: 40 }, img);
    imgs.forEach((im, k) => pacer.set(im, `blob:${k}`));
    for (let i = 0; i < 10; i++) {
      runFrame();
      await settle();
    }
    imgs.forEach((im) => pacer.cancel(im));
    runFrame();
  };
  costMs = 2;
  await load();
  assert.equal(pacer.perFrame, 2, "slow loads: the floor of 2 a frame");
  costMs = 0.1;
  await load();
  assert.equal(pacer.perFrame, 12, "cheap loads: the ceiling of 12 a frame");
  costMs = 1;
  await load();
  assert.equal(pacer.perFrame, 4, "1 ms a load: 4 a frame");
});
