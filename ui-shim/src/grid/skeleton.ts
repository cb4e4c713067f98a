//! The grid's fling skeleton: one background tile per cell, drawn under the cells while a fast
//! scroll flies past them, in place of moving every cell to "loading" each frame.

/** Where a cell's thumbnail box lies inside the cell, in CSS pixels. */
export interface TileBox {
  cellW: number;
  cellH: number;
  thumbLeft: number;
  thumbTop: number;
  thumbW: number;
  thumbH: number;
}

/** The colours of a "loading" cell (styles.css: `.cell.loading > .thumb` and `.cell > .thumb`). */
const LOADING_FILL = "#14171e";
const TOP_BORDER = "#444";
const TOP_BORDER_PX = 2;
const RADIUS_PX = 4;

/** A CSS `background-image` value: an SVG tile of `cellW` × `cellH` showing one loading
 *  thumbnail, to repeat over the grid. Empty when the box is degenerate. */
export function skeletonTile(box: TileBox): string {
  const { cellW, cellH, thumbLeft, thumbTop, thumbW, thumbH } = box;
  const sizes = [cellW, cellH, thumbLeft, thumbTop, thumbW, thumbH];
  if (!sizes.every(Number.isFinite) || cellW <= 0 || cellH <= 0 || thumbW <= 0 || thumbH <= TOP_BORDER_PX) return "";
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${cellW}" height="${cellH}">` +
    `<rect x="${thumbLeft}" y="${thumbTop}" width="${thumbW}" height="${thumbH}" rx="${RADIUS_PX}" fill="${TOP_BORDER}"/>` +
    `<rect x="${thumbLeft}" y="${thumbTop + TOP_BORDER_PX}" width="${thumbW}" height="${thumbH - TOP_BORDER_PX}" rx="${RADIUS_PX}" fill="${LOADING_FILL}"/>` +
    `</svg>`;
  return `url("data:image/svg+xml,${encodeURIComponent(svg)}")`;
}
