import { test } from "node:test";
import assert from "node:assert/strict";
import { ImagePacer } from "./imagepacer";

// Frames on demand, and images reduced to the one attribute the pacer touches.
const frames: (() => void)[] = [];
globalThis.requestAnimationFrame = (fn: FrameRequestCallback) => frames.push(() => fn(0));
const runFrame = () => frames.splice(0).forEach((f) => f());

class FakeImg {
  attr: string | null = null;
  set src(v: string) {
    this.attr = v;
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
  const pacer = new ImagePacer(3);
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
  const pacer = new ImagePacer(1);
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
  const pacer = new ImagePacer(4);
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
