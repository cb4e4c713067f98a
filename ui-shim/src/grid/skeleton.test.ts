import { test } from "node:test";
import assert from "node:assert/strict";
import { skeletonTile } from "./skeleton";

const decode = (css: string) => decodeURIComponent(css.replace(/^url\("data:image\/svg\+xml,/, "").replace(/"\)$/, ""));

test("a tile is the cell's size, with the thumbnail box where the cell has it", () => {
  const css = skeletonTile({ cellW: 106, cellH: 140, thumbLeft: 3, thumbTop: 3, thumbW: 100, thumbH: 103 });
  assert.match(css, /^url\("data:image\/svg\+xml,/);
  const svg = decode(css);
  assert.match(svg, /<svg [^>]*width="106" height="140"/);
  assert.match(svg, /<rect x="3" y="3" width="100" height="103"/);
  // The fill starts below the 2 px top border.
  assert.match(svg, /<rect x="3" y="5" width="100" height="101"[^>]*fill="#14171e"/);
});

test("no tile for a box that is not laid out", () => {
  assert.equal(skeletonTile({ cellW: 0, cellH: 140, thumbLeft: 3, thumbTop: 3, thumbW: 100, thumbH: 103 }), "");
  assert.equal(skeletonTile({ cellW: 106, cellH: 140, thumbLeft: 3, thumbTop: 3, thumbW: 0, thumbH: 0 }), "");
  assert.equal(skeletonTile({ cellW: NaN, cellH: 140, thumbLeft: 3, thumbTop: 3, thumbW: 100, thumbH: 103 }), "");
});
