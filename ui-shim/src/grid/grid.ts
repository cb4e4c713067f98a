//! The sample grid: a virtualised, recycled set of cells over the page cache, with selection
//! (click, shift-click, ctrl-click, drag), keyboard commands and the context menu.

import { h, fmtNum, whenIdle } from "../dom";
import { contextMenu, promptText } from "../dialog";
import { attempt, toast } from "../toast";
import { describeError, isAuthError } from "../api";
import { bus, state } from "../store";
import { PageCache, type PageSource } from "./pages";
import { moveFocus, Selection } from "./selection";
import { setDiscarded, tagSamples, untagSamples } from "./edits";
import { lossColor, splitColor } from "./colors";
import { ImagePacer } from "./imagepacer";
import { FillBudget } from "./fillbudget";
import { skeletonTile } from "./skeleton";
import { planCells } from "./cellplan";
import type { Sample } from "./records";

/** Cell widths a person can pick from: dense for scanning, large for judging one image. */
export const CELL_SIZES = { S: 76, M: 104, L: 148 } as const;
export type CellSize = keyof typeof CELL_SIZES;
/** Height of the badge rows under the image; the small size drops the id line. */
const META_H: Record<CellSize, number> = { S: 18, M: 34, L: 34 };
const SIZE_KEY = "weightslab.cellSize";

function savedSize(): CellSize {
  try {
    const v = localStorage.getItem(SIZE_KEY);
    if (v === "S" || v === "M" || v === "L") return v;
  } catch {
    // Storage disabled: use the default size.
  }
  return "M";
}
const OVERSCAN_ROWS = 1;
/** Pages are requested once the scroll has rested this long, not for every screen flown past. */
const SETTLE_MS = 120;
/** A scroll event that moves half a screen or more, following another within this many ms, is a
 *  fling: nobody reads cells flying past at that speed, so they stay "loading" until it slows. A
 *  single jump (Page Down) is not one, and shows the read-ahead at once. */
const FLING_GAP_MS = 100;

interface CellEl {
  root: HTMLDivElement;
  thumb: HTMLDivElement;
  img: HTMLImageElement;
  /** The badges' text nodes, rewritten in place: replacing a text node (`textContent`) costs a
   *  node removal, a node insertion and a layout object each, five times per cell per frame. */
  id: Text;
  lbl: Text;
  pred: Text;
  loss: Text;
  predSpan: HTMLSpanElement;
  lossSpan: HTMLSpanElement;
  tags: HTMLDivElement;
  index: number;
  sample: Sample | undefined;
  /** The thumbnail URL this cell is to show (the pacer may not have set it yet). */
  url: string | undefined;
  /** The inline colours last set, so an unchanged one is not set again. */
  splitColor: string;
  lossColor: string;
}

export class Grid {
  readonly el: HTMLElement;
  private scroller: HTMLDivElement;
  private spacer: HTMLDivElement;
  private empty: HTMLDivElement;
  private cache: PageCache;
  private sel = new Selection();
  private total = 0;
  private cols = 1;
  private size: CellSize = savedSize();
  private minW: number = CELL_SIZES[this.size];
  private cellW = this.minW;
  private cellH = this.minW + META_H[this.size];
  private active = new Map<number, CellEl>();
  private pool: CellEl[] = [];
  private cellTemplate: HTMLElement | undefined;
  private images = new ImagePacer();
  private frame = 0;
  /** Viewport size, kept by the ResizeObserver so rendering never forces a layout to read it. */
  private viewW = 0;
  private viewH = 0;
  /** The scroll position, kept by the scroll events and our own jumps for the same reason: a
   *  chart redrawn earlier in the frame would otherwise make render() lay the page out twice. */
  private top = 0;
  private dragging = false;
  private firstPaintMarked = false;
  private lastScroll = 0;
  /** When the last scroll event that moved half a screen or more came, and until when the
   *  scroll counts as a fling (see FLING_GAP_MS). */
  private lastLeap = -Infinity;
  private flingUntil = 0;
  /** The skeleton tile on the grid's background for the current layout: loading cells, drawn
   *  under the cells (see prepareSkeleton). Undefined until measured from a cell, "" when there
   *  was none to measure. */
  private skeleton: string | undefined;
  /** The layout the skeleton was drawn for: cell size and columns. */
  private skeletonFits = "";
  private skeletonQueued = false;
  /** Told to the bus: a person is scrolling (until the scroll has rested SETTLE_MS). */
  private scrolling = false;
  /** A person scrolled and the cells on screen are not all filled in yet ("shown" is due). */
  private catchingUp = false;
  /** The next scroll event comes from our own jump to the top, not from a person scrolling. */
  private jumped = false;
  private settleTimer: ReturnType<typeof setTimeout> | undefined;
  private fillBudget = new FillBudget();
  /** Counts the views the grid has loaded; shown as `data-view` so a script (or a test) can
   *  tell that a new view has replaced the cells and the selection. */
  private views = 0;
  /** A key moved the focus to a sample whose page is not in yet (End, a long Page Down): it is
   *  selected and shown in the sample panel when its page lands, unless the focus moved on. */
  private pendingFocus = -1;

  constructor(source: PageSource) {
    this.cache = new PageCache(source);
    this.cache.onPage = () => {
      this.focusArrived();
      this.schedule();
    };
    this.cache.onViewCount = (n) => {
      if (n !== this.total) this.setTotal(n);
    };
    // An auth failure is explained by the token prompt; a toast would only repeat it.
    this.cache.onError = (err) => {
      if (!isAuthError(err)) toast(describeError("Loading samples", err));
    };
    this.spacer = h("div", { class: "grid-spacer" });
    this.empty = h("div", { class: "grid-empty" }, "No samples in this view.");
    this.scroller = h("div", { class: "grid-scroll", tabindex: 0, "aria-label": "Samples", role: "grid" }, this.spacer, this.empty);
    this.el = h("div", { class: "grid", "data-size": this.size, "data-view": "0" }, this.scroller);
    this.scroller.addEventListener(
      "scroll",
      () => {
        const moved = Math.abs(this.scroller.scrollTop - this.top);
        this.top = this.scroller.scrollTop;
        if (this.jumped) this.jumped = false;
        else {
          const now = performance.now();
          if (moved >= this.viewH / 2) {
            if (now - this.lastLeap < FLING_GAP_MS) this.flingUntil = now + FLING_GAP_MS;
            this.lastLeap = now;
          }
          this.lastScroll = now;
          this.catchingUp = true;
          if (!this.scrolling) {
            this.scrolling = true;
            bus.emit("scrolling", true);
          }
        }
        this.schedule();
      },
      { passive: true },
    );
    this.scroller.addEventListener("keydown", (e) => this.onKey(e));
    this.scroller.addEventListener("mousedown", (e) => this.onMouseDown(e));
    this.scroller.addEventListener("mouseover", (e) => this.onMouseOver(e));
    this.scroller.addEventListener("contextmenu", (e) => this.onContextMenu(e));
    this.scroller.addEventListener("dblclick", (e) => {
      const i = this.indexAt(e.target);
      const s = i >= 0 ? this.cache.get(i) : undefined;
      if (s) bus.emit("focus", s);
    });
    window.addEventListener("mouseup", () => (this.dragging = false));
    new ResizeObserver((entries) => {
      const box = entries[entries.length - 1].contentRect;
      this.viewW = this.scroller.clientWidth || box.width;
      this.viewH = box.height;
      this.layout();
    }).observe(this.scroller);
    bus.on("view", () => this.reload());
  }

  get cellSize(): CellSize {
    return this.size;
  }

  /** Changes the cell size and keeps the first visible sample in view. */
  setCellSize(size: CellSize): void {
    if (size === this.size) return;
    const firstIndex = Math.floor(this.top / this.cellH) * this.cols;
    this.size = size;
    this.minW = CELL_SIZES[size];
    try {
      localStorage.setItem(SIZE_KEY, size);
    } catch {
      // Not persisted; the choice still applies to this page.
    }
    this.el.dataset.size = size;
    this.layout();
    this.scrollTo(Math.floor(firstIndex / this.cols) * this.cellH);
    this.schedule();
  }

  /** Scrolls by our own hand and keeps `top` in step. */
  private scrollTo(top: number): void {
    this.scroller.scrollTop = top;
    this.top = this.scroller.scrollTop;
  }

  get selection(): Selection {
    return this.sel;
  }

  setTotal(n: number): void {
    this.total = Math.max(0, n);
    // For scripts (and tests): how many samples the view holds.
    this.el.dataset.total = String(this.total);
    this.layout();
  }

  /** A new view (query, sort): back to the top with an empty cache. */
  reload(): void {
    this.el.dataset.view = String(++this.views);
    this.cache.reset();
    this.sel.clear();
    bus.emit("selection", 0);
    for (const c of this.active.values()) this.release(c);
    this.active.clear();
    this.jumped = this.top !== 0;
    this.scrollTo(0);
    this.schedule();
  }

  /** After the connection came back: asks again for the pages on screen that failed while it
   *  was down, and re-reads those that are in. */
  resume(): void {
    this.refreshVisible();
    this.schedule();
  }

  /** Re-reads the pages on screen (after training moved on, or after edits). */
  refreshVisible(): void {
    const { firstRow, lastRow } = this.visibleRows();
    const pages = new Set<number>();
    for (let i = firstRow * this.cols; i < Math.min(this.total, (lastRow + 1) * this.cols); i += this.cache.pageSize) {
      pages.add(Math.floor(i / this.cache.pageSize));
    }
    this.cache.refresh([...pages]);
  }

  private layout(): void {
    const width = this.viewW;
    if (width <= 0) return;
    this.cols = Math.max(1, Math.floor(width / this.minW));
    this.cellW = Math.floor(width / this.cols);
    this.cellH = this.cellW + META_H[this.size];
    const rows = Math.ceil(this.total / this.cols);
    this.spacer.style.height = `${rows * this.cellH}px`;
    // The fling skeleton's tiles (see prepareSkeleton) repeat over whole cells: whole columns
    // (the sliver left at the right edge, under a pixel per column, stays bare) and whole rows
    // (a last row that is not full has no tiles).
    this.spacer.style.width = `${this.cellW * this.cols}px`;
    this.spacer.style.backgroundSize = `${this.cellW}px ${this.cellH}px`;
    this.spacer.style.paddingBottom = this.total % this.cols ? `${this.cellH}px` : "";
    const skeletonFits = `${this.cellW}x${this.cellH}x${this.cols}`;
    if (skeletonFits !== this.skeletonFits) {
      this.skeletonFits = skeletonFits;
      this.skeleton = undefined;
      this.spacer.style.backgroundImage = "";
    }
    this.empty.style.display = this.total === 0 && state.conn === "online" ? "flex" : "none";
    for (const c of this.active.values()) this.position(c);
    this.schedule();
  }

  private schedule(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame((frameStart) => {
      this.frame = 0;
      this.render(frameStart);
    });
  }

  private visibleRows(): { firstRow: number; lastRow: number } {
    const top = this.top;
    const firstRow = Math.max(0, Math.floor(top / this.cellH) - OVERSCAN_ROWS);
    const lastRow = Math.floor((top + this.viewH) / this.cellH) + OVERSCAN_ROWS;
    return { firstRow, lastRow };
  }

  private render(frameStart: number): void {
    const { firstRow, lastRow } = this.visibleRows();
    const first = firstRow * this.cols;
    const last = Math.min(this.total - 1, (lastRow + 1) * this.cols - 1);
    // Once the skeleton is drawn, cells come only to places whose samples are in, and in a
    // fling to none: the skeleton of loading cells flies past on the grid's background. Moving
    // a screen of cells and turning them to "loading" was most of each frame's style, layout
    // and paint work, for cells nobody can read at that speed. Until it is drawn (the first
    // screen, a new layout), cells move at once and show "loading".
    const flinging = performance.now() < this.flingUntil;
    if (this.skeleton) {
      if (!flinging) this.renderOverSkeleton(first, last, frameStart);
      this.afterRender(first, last);
      return;
    }
    // Cells that scrolled out are handed straight to the indices that scrolled in, so a scroll
    // step only rewrites their content and transform: no show/hide churn, no new nodes.
    const free: CellEl[] = [];
    for (const [i, c] of this.active) {
      if (i < first || i > last) {
        free.push(c);
        this.active.delete(i);
      }
    }
    // Loading cells are filled in a few per frame: a whole screen at once (its pages landing
    // after a scroll) made one long task of the style, layout and paint work; the rest show
    // "loading" a frame more. How many follows what the last filling frame cost.
    const budget = flinging ? 0 : this.fillBudget.take(frameStart);
    let fills = budget;
    let deferred = false;
    for (let i = first; i <= last; i++) {
      let c = this.active.get(i);
      if (!c) {
        c = free.pop() ?? this.acquire();
        c.index = i;
        this.active.set(i, c);
        this.position(c);
        // It may show another sample (or focus ring): not here, not even for a frame.
        this.paintLoading(c);
      }
      // A cell showing "loading" whose sample is in: filling it in may wait a frame, so that a
      // screen of them (a scroll over cached pages, or pages landing) spreads over frames.
      if (c.sample === undefined && c.url === undefined && this.cache.get(i) !== undefined) {
        if (fills === 0) {
          deferred = true;
          continue;
        }
        fills--;
      }
      this.paint(c);
    }
    for (const c of free) this.release(c);
    if (fills < budget) this.fillBudget.filled(frameStart);
    if (deferred) this.schedule();
    this.afterRender(first, last);
  }

  /** Once the skeleton is drawn, a cell comes to a place on screen only with its sample, and
   *  cells that scrolled out stay parked (see cellplan.ts): a leap or a fling's end moves no
   *  cells until their pages are in, and then as many per frame as the fill budget allows. */
  private renderOverSkeleton(first: number, last: number, frameStart: number): void {
    const budget = this.fillBudget.take(frameStart);
    const plan = planCells({
      cells: this.cellStates(),
      first,
      last,
      total: this.total,
      ready: (i) => this.cache.get(i) !== undefined,
      budget,
    });
    for (const i of plan.release) {
      this.release(this.active.get(i)!);
      this.active.delete(i);
    }
    // The filled cells on screen follow the selection, the focus and refreshed pages; those
    // still loading wait for the fills below (or the next frame's budget).
    for (let i = first; i <= last; i++) {
      const c = this.active.get(i);
      if (c && filled(c)) this.paint(c);
    }
    let donor = 0;
    for (const i of plan.fill) {
      let c = this.active.get(i);
      if (!c) {
        const from = plan.donors[donor++];
        if (from !== undefined) {
          c = this.active.get(from)!;
          this.active.delete(from);
        } else c = this.acquire();
        c.index = i;
        this.active.set(i, c);
        this.position(c);
      }
      this.paint(c);
    }
    if (plan.fill.length > 0) this.fillBudget.filled(frameStart);
    if (plan.deferred) this.schedule();
  }

  private *cellStates(): Generator<[number, boolean]> {
    for (const [i, c] of this.active) yield [i, filled(c)];
  }

  /** What each frame does after the cells: page requests, and the scrolling and shown news. */
  private afterRender(first: number, last: number): void {
    // One extra screen of prefetch in the scroll direction keeps scrolling from showing blanks.
    const screen = Math.ceil(this.viewH / this.cellH) * this.cols;
    const moving = performance.now() - this.lastScroll < SETTLE_MS;
    this.cache.want(first, last, this.total, !moving, screen);
    if (!moving && this.scrolling) {
      this.scrolling = false;
      bus.emit("scrolling", false);
    }
    if (!moving && this.catchingUp && this.allShown(first, last)) {
      this.catchingUp = false;
      bus.emit("shown", undefined);
    }
    // A skeleton missing for this layout (a resize, a new cell size) is drawn when the page is
    // next idle.
    if (!moving) this.queueSkeleton();
    if (moving && this.settleTimer === undefined) {
      this.settleTimer = setTimeout(() => {
        this.settleTimer = undefined;
        this.schedule();
      }, SETTLE_MS);
    }
  }

  /** Draws the skeleton of loading cells on the grid's background, under the cells, where it
   *  shows only while cells are away: in a fling, the cells stay where they were and the
   *  skeleton flies past. Its tile is measured from a cell's thumbnail box, so a cell must be on
   *  screen. Call it when the page is idle: the frame that first paints it was 20 ms dearer in a
   *  trace, and a long task when that frame was a fling's first. */
  private prepareSkeleton(): void {
    if (this.skeleton !== undefined) return;
    const cell = this.active.values().next().value;
    const thumb = cell?.thumb;
    if (!thumb || thumb.offsetHeight === 0) return;
    this.skeleton = skeletonTile({
      cellW: this.cellW,
      cellH: this.cellH,
      thumbLeft: thumb.offsetLeft,
      thumbTop: thumb.offsetTop,
      thumbW: thumb.offsetWidth,
      thumbH: thumb.offsetHeight,
    });
    this.spacer.style.backgroundImage = this.skeleton;
  }

  /** Asks for the skeleton when the page is next idle, once the first screen has painted (not
   *  before: that frame is one of the measured numbers), if this layout has none yet. */
  private queueSkeleton(): void {
    if (!this.firstPaintMarked || this.skeleton !== undefined || this.skeletonQueued || this.active.size === 0) return;
    this.skeletonQueued = true;
    whenIdle(() => {
      this.skeletonQueued = false;
      this.prepareSkeleton();
    });
  }

  /** Every place on screen has its cell filled in, with its thumbnail where its sample has one
   *  (a dataset without images is shown once its badges are). */
  private allShown(first: number, last: number): boolean {
    for (let i = first; i <= last; i++) {
      const c = this.active.get(i);
      if (!c || !c.sample || c.url !== this.cache.thumb(i)) return false;
    }
    return true;
  }

  /** Starts loading the first screen before the view size is known (it comes back with it). */
  prime(): void {
    const rows = Math.ceil((this.viewH || window.innerHeight) / (this.minW + META_H[this.size])) + 1;
    const cols = Math.max(1, Math.floor((this.viewW || window.innerWidth / 2) / this.minW));
    this.cache.want(0, rows * cols, rows * cols);
  }

  private acquire(): CellEl {
    const pooled = this.pool.pop();
    if (pooled) {
      pooled.root.style.display = "";
      return pooled;
    }
    return this.createCell();
  }

  /** A new cell, cloned from one template: one native deep clone per cell instead of a dozen
   *  element and attribute calls, which showed as the cost of the first scroll steps. */
  private createCell(): CellEl {
    this.cellTemplate ??= h(
      "div",
      { class: "cell", role: "gridcell" },
      h("div", { class: "thumb" }, h("img", { alt: "", draggable: "false", decoding: "async" })),
      h("div", { class: "cell-tags" }),
      h(
        "div",
        { class: "cell-meta" },
        h(
          "div",
          { class: "meta-row" },
          h("span", { class: "b-lbl", title: "label" }),
          h("span", { class: "b-pred", title: "prediction" }),
          h("span", { class: "b-loss", title: "loss" }),
        ),
        h("span", { class: "cell-id" }),
      ),
    );
    const root = this.cellTemplate.cloneNode(true) as HTMLDivElement;
    const [thumb, tags, meta] = root.children as unknown as [HTMLDivElement, HTMLDivElement, HTMLDivElement];
    const img = thumb.firstElementChild as HTMLImageElement;
    const [row, idSpan] = meta.children as unknown as [HTMLDivElement, HTMLSpanElement];
    const [lblSpan, predSpan, lossSpan] = row.children as unknown as [HTMLSpanElement, HTMLSpanElement, HTMLSpanElement];
    const text = (span: HTMLSpanElement) => span.appendChild(document.createTextNode(""));
    img.addEventListener("load", () => {
      if (!this.firstPaintMarked) {
        this.firstPaintMarked = true;
        performance.mark("wl-first-grid-paint");
        bus.emit("painted", undefined);
        this.queueSkeleton();
      }
    });
    this.spacer.append(root);
    return {
      root,
      thumb,
      img,
      id: text(idSpan),
      lbl: text(lblSpan),
      pred: text(predSpan),
      loss: text(lossSpan),
      predSpan,
      lossSpan,
      tags,
      index: -1,
      sample: undefined,
      url: undefined,
      splitColor: "",
      lossColor: "",
    };
  }

  /** Makes spare cells for `rows` more rows ahead of need (called when the page is idle after
   *  the first screen): a scroll shows a row or two more than the first screen did, and making
   *  those cells in its first frames made them long. */
  prewarm(rows: number): void {
    const want = this.active.size + rows * this.cols;
    while (this.active.size + this.pool.length < want) this.release(this.createCell());
  }

  /** Back to the pool, hidden and no longer naming a sample: a hidden cell that kept its
   *  `data-i` matched a script's (a test's) `.cell[data-i="0"]` ahead of the cell shown there,
   *  and was clicked once it came back for another place. */
  private release(c: CellEl): void {
    c.root.style.display = "none";
    delete c.root.dataset.i;
    delete c.root.dataset.id;
    this.images.set(c.img, undefined);
    c.url = undefined;
    c.sample = undefined;
    c.index = -1;
    this.pool.push(c);
  }

  private position(c: CellEl): void {
    c.root.dataset.i = String(c.index);
    const row = Math.floor(c.index / this.cols);
    const col = c.index % this.cols;
    c.root.style.transform = `translate(${col * this.cellW}px, ${row * this.cellH}px)`;
    const w = `${this.cellW}px`;
    if (c.root.style.width !== w) {
      c.root.style.width = w;
      c.root.style.height = `${this.cellH}px`;
    }
  }

  private paint(c: CellEl): void {
    const s = this.cache.get(c.index);
    const url = this.cache.thumb(c.index);
    const selected = s ? this.sel.has(s.id) : false;
    const focused = c.index === this.sel.focus;
    c.root.classList.toggle("sel", selected);
    c.root.classList.toggle("focus", focused);
    if (s === c.sample && url === c.url) return;
    if (!s) {
      this.paintLoading(c);
      return;
    }
    c.sample = s;
    c.root.className = `cell${s.discarded ? " discarded" : ""}${selected ? " sel" : ""}${focused ? " focus" : ""}`;
    const split = splitColor(s.origin);
    if (split !== c.splitColor) {
      c.splitColor = split;
      c.thumb.style.borderTopColor = split;
    }
    c.root.dataset.id = s.id;
    c.root.title = `${s.origin} #${s.id}${s.tags.length ? `\ntags: ${s.tags.join(", ")}` : ""}`;
    if (url !== c.url) {
      c.url = url;
      this.images.set(c.img, url);
    }
    c.id.data = s.id;
    const label = s.labelText ?? (s.label !== undefined ? fmtNum(s.label) : "");
    const pred = s.predText ?? (s.pred !== undefined ? fmtNum(s.pred) : "");
    c.lbl.data = label;
    c.pred.data = pred ? `→${pred}` : "";
    c.predSpan.classList.toggle("wrong", label !== "" && pred !== "" && label !== pred);
    c.loss.data = s.loss !== undefined ? fmtNum(s.loss, 3) : "";
    const heat = lossColor(s.loss);
    if (heat !== c.lossColor) {
      c.lossColor = heat;
      c.lossSpan.style.color = heat;
    }
    if (c.tags.firstChild) c.tags.textContent = "";
    for (const t of s.tags.slice(0, 3)) c.tags.append(h("span", { class: "tag-pill" }, t));
  }

  /** Shows the cell as "loading": one class, which hides the previous sample's image and badges
   *  (styles.css) without taking them down. A fast scroll turns a screen of cells to "loading"
   *  every frame, and rewriting their text and images cost a layout of every one of them; the
   *  fill that follows rewrites them anyway. */
  private paintLoading(c: CellEl): void {
    c.sample = undefined;
    c.url = undefined;
    c.root.className = `cell loading${c.index === this.sel.focus ? " focus" : ""}`;
    this.images.cancel(c.img);
    delete c.root.dataset.id;
    c.root.title = "";
  }

  private repaintAll(): void {
    for (const c of this.active.values()) {
      c.sample = undefined;
      this.paint(c);
    }
  }

  private indexAt(target: EventTarget | null): number {
    const cell = target instanceof Element ? target.closest<HTMLElement>(".cell") : null;
    if (!cell || cell.dataset.i === undefined) return -1;
    return Number(cell.dataset.i);
  }

  private lookup = (i: number) => {
    const s = this.cache.get(i);
    return s ? { id: s.id, origin: s.origin } : undefined;
  };

  private onMouseDown(e: MouseEvent): void {
    if (e.button !== 0) return;
    const i = this.indexAt(e.target);
    if (i < 0) return;
    const s = this.cache.get(i);
    if (!s) return;
    e.preventDefault();
    this.pendingFocus = -1;
    this.scroller.focus({ preventScroll: true });
    if (e.shiftKey) this.sel.range(i, this.lookup, e.ctrlKey || e.metaKey);
    else if (e.ctrlKey || e.metaKey) this.sel.toggle(i, s.id, s.origin);
    else {
      this.sel.only(i, s.id, s.origin);
      this.dragging = true;
      bus.emit("focus", s);
    }
    this.afterSelect();
  }

  private onMouseOver(e: MouseEvent): void {
    if (!this.dragging || (e.buttons & 1) === 0) return;
    const i = this.indexAt(e.target);
    if (i < 0 || i === this.sel.focus) return;
    this.sel.range(i, this.lookup);
    this.afterSelect();
  }

  private afterSelect(): void {
    this.repaintAll();
    bus.emit("selection", this.sel.size);
  }

  private onContextMenu(e: MouseEvent): void {
    const i = this.indexAt(e.target);
    const s = i >= 0 ? this.cache.get(i) : undefined;
    if (!s) return;
    e.preventDefault();
    if (!this.sel.has(s.id)) {
      this.sel.only(i, s.id, s.origin);
      this.afterSelect();
    }
    const n = this.sel.size;
    const selectedTags = this.selectedTags();
    contextMenu(e.clientX, e.clientY, [
      { label: `${n} sample${n === 1 ? "" : "s"} selected` },
      { label: "Tag…", hint: "T", action: () => void this.tagSelection() },
      ...selectedTags.map((t, k) => ({ label: `Remove tag “${t}”`, hint: k === 0 ? "U" : undefined, action: () => void this.untagSelection(t) })),
      "sep",
      { label: "Discard", hint: "D", danger: true, action: () => void this.discardSelection(true) },
      { label: "Restore", hint: "R", action: () => void this.discardSelection(false) },
      "sep",
      { label: "Show details", hint: "↵", action: () => bus.emit("focus", s) },
      { label: "Copy ids", action: () => void navigator.clipboard?.writeText(this.sel.ids().join(",")) },
    ]);
  }

  private onKey(e: KeyboardEvent): void {
    if (e.target !== this.scroller) return;
    const key = e.key;
    if (key.startsWith("Arrow") || key === "PageUp" || key === "PageDown" || key === "Home" || key === "End") {
      e.preventDefault();
      const pageRows = Math.max(1, Math.floor(this.scroller.clientHeight / this.cellH));
      const next = moveFocus(this.sel.focus, key, this.cols, this.total, pageRows);
      const s = this.cache.get(next);
      this.pendingFocus = !s && !e.shiftKey ? next : -1;
      if (e.shiftKey) this.sel.range(next, this.lookup);
      else if (s) this.sel.only(next, s.id, s.origin);
      else this.sel.focus = next;
      this.scrollIntoView(next);
      if (s && !e.shiftKey) bus.emit("focus", s);
      this.afterSelect();
      return;
    }
    if (e.ctrlKey || e.metaKey || e.altKey) {
      if ((e.ctrlKey || e.metaKey) && key === "a") {
        e.preventDefault();
        for (const s of this.cache.loadedSamples()) if (!this.sel.has(s.id)) this.sel.toggle(this.sel.focus, s.id, s.origin);
        this.afterSelect();
      }
      return;
    }
    // Letters work with Shift or Caps Lock too.
    switch (key.length === 1 ? key.toLowerCase() : key) {
      case "t":
        e.preventDefault();
        void this.tagSelection();
        break;
      case "d":
        e.preventDefault();
        void this.discardSelection(true);
        break;
      case "r":
        e.preventDefault();
        void this.discardSelection(false);
        break;
      case "u":
        e.preventDefault();
        void this.untagPrompt();
        break;
      case "Escape":
        this.sel.clear();
        this.afterSelect();
        break;
      case "Enter": {
        const s = this.cache.get(this.sel.focus);
        if (s) bus.emit("focus", s);
        break;
      }
    }
  }

  /** Selects and shows the sample a key moved the focus to, once its page is in. */
  private focusArrived(): void {
    const i = this.pendingFocus;
    if (i < 0) return;
    const s = this.cache.get(i);
    if (!s) return;
    this.pendingFocus = -1;
    if (this.sel.focus !== i) return;
    this.sel.only(i, s.id, s.origin);
    bus.emit("focus", s);
    this.afterSelect();
  }

  private scrollIntoView(i: number): void {
    const top = Math.floor(i / this.cols) * this.cellH;
    if (top < this.top) this.scrollTo(top);
    else if (top + this.cellH > this.top + this.viewH) this.scrollTo(top + this.cellH - this.viewH);
  }

  private requireSelection(what: string): boolean {
    if (this.sel.size > 0) return true;
    toast(`Select samples to ${what} first (click, shift-click or drag).`, "info");
    return false;
  }

  async tagSelection(): Promise<void> {
    if (!this.requireSelection("tag")) return;
    // The samples the dialog names: the selection may change (a new view clears it) while
    // the dialog is open.
    const ids = this.sel.ids();
    const origins = this.sel.origins();
    const tag = await promptText({
      title: `Tag ${ids.length} sample${ids.length === 1 ? "" : "s"}`,
      placeholder: "tag name, e.g. hard",
      suggestions: state.tags,
      okLabel: "Tag",
    });
    this.scroller.focus({ preventScroll: true });
    if (!tag) return;
    if (/[;,]/.test(tag)) {
      toast("A tag name cannot contain ';' or ','. Use one word or dashes, e.g. hard-case.");
      return;
    }
    const ok = await attempt(`Tagging ${ids.length} sample(s)`, () => tagSamples(ids, origins, tag));
    if (ok === undefined) return;
    this.applyLocal(ids, (s) => {
      if (!s.tags.includes(tag)) s.tags = [...s.tags, tag].sort();
    });
    toast(`Tagged ${ids.length} sample${ids.length === 1 ? "" : "s"} “${tag}”.`, "ok");
  }

  /** The tags the selected samples carry (of those loaded), sorted. */
  private selectedTags(): string[] {
    const tags = new Set<string>();
    for (const x of this.cache.loadedSamples()) if (this.sel.has(x.id)) for (const t of x.tags) tags.add(t);
    return [...tags].sort();
  }

  /** U: asks which of the selection's tags to remove (at once when it carries just one). */
  async untagPrompt(): Promise<void> {
    if (!this.requireSelection("untag")) return;
    const tags = this.selectedTags();
    const n = this.sel.size;
    const which = `${n === 1 ? "The selected sample carries" : `The ${n} selected samples carry`}`;
    if (tags.length === 0) {
      toast(`${which} no tag.`, "info");
      return;
    }
    const tag =
      tags.length === 1
        ? tags[0]
        : await promptText({
            title: `Remove a tag from ${n} sample${n === 1 ? "" : "s"}`,
            label: `${which} these tags; pick the one to remove.`,
            placeholder: "tag name",
            suggestions: tags,
            okLabel: "Remove",
          });
    this.scroller.focus({ preventScroll: true });
    if (tag) await this.untagSelection(tag);
  }

  async untagSelection(tag: string): Promise<void> {
    if (!this.requireSelection("untag")) return;
    const ids = this.sel.ids();
    const ok = await attempt(`Removing tag “${tag}”`, () => untagSamples(ids, this.sel.origins(), tag));
    if (ok === undefined) return;
    this.applyLocal(ids, (s) => (s.tags = s.tags.filter((t) => t !== tag)));
    toast(`Removed “${tag}” from ${ids.length} sample${ids.length === 1 ? "" : "s"}.`, "ok");
  }

  async discardSelection(discard: boolean): Promise<void> {
    if (!this.requireSelection(discard ? "discard" : "restore")) return;
    const ids = this.sel.ids();
    const verb = discard ? "Discarding" : "Restoring";
    const ok = await attempt(`${verb} ${ids.length} sample(s)`, () => setDiscarded(ids, this.sel.origins(), discard));
    if (ok === undefined) return;
    this.applyLocal(ids, (s) => (s.discarded = discard));
    toast(`${discard ? "Discarded" : "Restored"} ${ids.length} sample${ids.length === 1 ? "" : "s"}.`, "ok");
  }

  private applyLocal(ids: string[], fn: (s: Sample) => void): void {
    const pages = this.cache.patch(new Set(ids), fn);
    this.repaintAll();
    bus.emit("edited", undefined);
    // The server is the source of truth (a filtered view may drop the edited rows): re-read.
    this.cache.refresh(pages);
  }
}

/** The cell shows a sample (not "loading", not pooled). */
function filled(c: CellEl): boolean {
  return c.sample !== undefined;
}
