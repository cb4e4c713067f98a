//! The metric plots: one uPlot chart per metric, one line per run, min/max band, evaluation
//! markers and notes; incremental polling while training; drag-zoom refetches the detail.

import type uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { h, clear, fmtNum, debounce, STEP_INCRS } from "../dom";
import { api } from "../api";
import { attempt, toast } from "../toast";
import { contextMenu, promptText } from "../dialog";
import { bus, gridPainted, state } from "../store";
import { loadUPlot } from "./uplot";
import { runColor, shortHash } from "./runlabel";
import { pointRestore, pointRestoreLabel } from "./checkpoint";
import { readCheckpoints, restoreNearPoint, restoreRun, type RunCheckpoints } from "./restore";
import { align, appendPoints, countPoints, longestCurve, replaceHistory, replaceRange, type Curve, type Store } from "./series";

const ORDER = ["train/loss", "val/loss", "test/loss", "train/accuracy", "val/accuracy", "test/accuracy", "train/lr"];
const MAX_POINTS = 1000;
const AXIS_FONT = "10px system-ui";
/** uPlot's constructor, once loaded (before the first chart is built). */
let UPlot: typeof uPlot | undefined;
/** Polls append points; once a curve holds this many, the reduced history replaces them all, so
 *  a Studio left open for hours draws each chart as fast as a fresh one. */
const RESYNC_POINTS = 2 * MAX_POINTS;

interface Chart {
  metric: string;
  el: HTMLElement;
  plot: uPlot;
  head: HTMLElement;
  tip: HTMLElement;
  zoom: { min: number; max: number } | null;
  notes: { x: number; y: number; note: string; hash: string }[];
  hashes: string[];
  drawnPoints: number;
}

export class Plots {
  readonly el: HTMLElement;
  private list: HTMLElement;
  private store: Store = new Map();
  private charts = new Map<string, Chart>();
  private runColor = new Map<string, string>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private loaded = false;
  /** New points arrived while redraws were held (grid scrolling, tab hidden). */
  private stale = false;
  private held = false;
  /** Charts whose new points are not drawn yet; one is drawn per animation frame. */
  private pending = new Set<string>();
  private pendingFrame = 0;
  constructor() {
    this.list = h("div", { class: "plot-list" }, h("div", { class: "placeholder" }, "Waiting for metrics…"));
    this.el = h("section", { class: "plots panel" }, h("div", { class: "panel-title" }, "Metrics", h("span", { class: "muted small" }, "drag to zoom · double-click to reset · right-click a point")), this.list);
    new ResizeObserver(debounce(() => this.resize(), 80)).observe(this.list);
    // Redrawing every chart costs a frame its budget: not while the grid is being scrolled or
    // is filling in the screen it stopped at, and not for a hidden tab. The points are kept and
    // drawn once the page is at rest.
    let release: ReturnType<typeof setTimeout> | undefined;
    const resume = () => {
      clearTimeout(release);
      release = undefined;
      this.held = false;
      this.redrawIfStale();
    };
    bus.on("scrolling", (on) => {
      clearTimeout(release);
      if (on) this.held = true;
      else release = setTimeout(resume, 2000);
    });
    bus.on("shown", () => {
      if (!this.held) return;
      clearTimeout(release);
      release = setTimeout(resume, 300);
    });
    document.addEventListener("visibilitychange", () => this.redrawIfStale());
  }

  private redrawIfStale(): void {
    if (this.held || document.hidden) return;
    if (this.stale) {
      this.stale = false;
      this.redrawAll();
    } else {
      this.drawPending();
    }
  }

  /** Builds or draws the charts waiting in `pending`, one step per frame: building or redrawing
   *  them all in one task (the first history, a poll with new points for every curve, a new
   *  metric, the end of a scroll) made one long task of several short ones. */
  private drawPending(): void {
    if (this.pendingFrame || this.pending.size === 0) return;
    this.pendingFrame = requestAnimationFrame(() => {
      this.pendingFrame = 0;
      if (this.held || document.hidden) return;
      const [metric] = this.pending;
      this.pending.delete(metric);
      const runs = this.store.get(metric);
      const chart = this.charts.get(metric);
      if (!runs) return this.drawPending();
      if (chart && drawsRuns(chart, runs)) this.update(chart, runs);
      else {
        // A new chart, or a new run whose series change the chart's layout. Building a chart
        // and drawing its points are a frame each: the first chart's were one long task
        // (uPlot's code runs for the first time in it).
        this.build(metric, runs, chart);
        this.pending = new Set([metric, ...this.pending]);
      }
      this.drawPending();
    });
  }

  start(): void {
    void this.loadHistory();
  }

  /** Initial load and re-sync: the reduced full history of every curve. */
  async loadHistory(): Promise<void> {
    const res = await attempt("Loading metric history", () =>
      api.getLatestLoggerData({ requestFullHistory: true, maxPoints: MAX_POINTS }, { timeoutMs: 30000 }),
    );
    // The first charts are built after the grid's first screen of samples, and so is uPlot
    // loaded (see uplot.ts).
    await gridPainted;
    UPlot = await loadUPlot().catch(() => undefined);
    if (!UPlot) {
      clear(this.list);
      this.list.append(h("div", { class: "placeholder" }, "The chart library did not load (the server may have stopped). Reload the page to try again."));
      return;
    }
    if (res) {
      replaceHistory(this.store, res.points);
      this.loaded = true;
      this.redrawAll();
      if (this.store.size === 0) {
        clear(this.list);
        this.list.append(h("div", { class: "placeholder" }, "No metrics logged yet. Curves appear here as soon as training logs them."));
      }
    }
    this.schedule();
  }

  /** Replaces every curve with the server's reduced history, then the zoomed charts' detail. */
  private async resync(): Promise<void> {
    const res = await api.getLatestLoggerData({ requestFullHistory: true, maxPoints: MAX_POINTS }, { timeoutMs: 30000 });
    replaceHistory(this.store, res.points);
    for (const chart of this.charts.values()) {
      if (chart.zoom) await this.loadDetail(chart, chart.zoom.min, chart.zoom.max);
    }
  }

  private schedule(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    // Every 2 s while training; when paused, new points are rare (evaluations, notes).
    this.timer = setTimeout(() => void this.poll(), state.training ? 2000 : 8000);
  }

  /** Training state changed: poll soon so resuming shows points without waiting. */
  nudge(): void {
    this.schedule();
  }

  private async poll(): Promise<void> {
    if (state.conn === "online") {
      if (!this.loaded) {
        await this.loadHistory();
        return;
      }
      try {
        const res = await api.getLatestLoggerData({ requestFullHistory: false, maxPoints: MAX_POINTS }, { timeoutMs: 30000 });
        if (res.points.length > 0) {
          appendPoints(this.store, res.points);
          if (longestCurve(this.store) > RESYNC_POINTS) await this.resync();
          this.stale = true;
          this.redrawIfStale();
        }
      } catch {
        // The heartbeat owns the connection state and reports outages; a missed poll is retried.
      }
    }
    this.schedule();
  }

  private colorFor(hash: string): string {
    let c = this.runColor.get(hash);
    if (!c) {
      c = runColor(hash, new Set(this.runColor.values()));
      this.runColor.set(hash, c);
    }
    return c;
  }

  /** The metrics in the order their charts are listed: losses, accuracies, then the rest. */
  private ordered(): string[] {
    return [...this.store.keys()].sort((a, b) => {
      const ia = ORDER.indexOf(a);
      const ib = ORDER.indexOf(b);
      return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib) || a.localeCompare(b);
    });
  }

  /** Queues every chart for a redraw (drawPending builds the missing ones, in list order). */
  private redrawAll(): void {
    // Before uPlot has loaded, the points wait: loadHistory draws them all once it has.
    if (!UPlot) return;
    for (const m of this.ordered()) this.pending.add(m);
    this.drawPending();
  }

  /** Builds the chart of `metric` and puts it in its place in the list, in place of `old`. */
  private build(metric: string, runs: Map<string, Curve>, old?: Chart): Chart {
    if (this.charts.size === 0) clear(this.list);
    if (old) {
      old.plot.destroy();
      old.el.remove();
    }
    const chart = this.create(metric, [...runs.keys()]);
    this.charts.set(metric, chart);
    for (const m of this.ordered()) {
      const c = this.charts.get(m);
      if (c) this.list.append(c.el);
    }
    return chart;
  }

  private create(metric: string, hashes: string[]): Chart {
    const head = h("div", { class: "chart-head" }, h("span", { class: "chart-name" }, metric));
    const tip = h("div", { class: "chart-tip" });
    const body = h("div", { class: "chart-body" });
    const el = h("div", { class: "chart", "data-metric": metric }, head, body, tip);
    this.list.append(el);
    const series: uPlot.Series[] = [{ label: "step" }];
    const bands: uPlot.Band[] = [];
    for (const hash of hashes) {
      const color = this.colorFor(hash);
      const base = series.length;
      series.push({ label: hash, stroke: color, width: 1.5, spanGaps: true, points: { show: false } });
      // The band holds per-sample values, which reach far past the mean (one mislabelled
      // sample's loss dwarfs its batch's), so the y axis fits the lines and markers and the
      // band is drawn clipped; the tooltip gives its full extent.
      series.push({ label: `${hash} max`, stroke: "transparent", width: 0, spanGaps: true, points: { show: false }, auto: false });
      series.push({ label: `${hash} min`, stroke: "transparent", width: 0, spanGaps: true, points: { show: false }, auto: false });
      series.push({
        label: `${hash} eval`,
        stroke: color,
        width: 0,
        paths: () => null,
        points: { show: true, size: 9, width: 2, stroke: "#fff", fill: color, space: 0 },
      });
      bands.push({ series: [base + 1, base + 2], fill: hexAlpha(color, 0.16) });
    }
    const chart: Chart = { metric, el, plot: undefined as unknown as uPlot, head, tip, zoom: null, notes: [], hashes, drawnPoints: 0 };
    const onZoom = debounce((u: uPlot) => this.onScale(chart, u), 250);
    const opts: uPlot.Options = {
      width: Math.max(200, this.list.clientWidth - 16),
      height: 150,
      series,
      bands,
      legend: { show: false },
      scales: { x: { time: false } },
      cursor: { drag: { x: true, y: false, setScale: true }, points: { size: 6 } },
      axes: [
        { stroke: "#8b93a7", grid: { stroke: "#262b36", width: 1 }, ticks: { stroke: "#262b36" }, font: AXIS_FONT, size: 28, incrs: STEP_INCRS },
        { stroke: "#8b93a7", grid: { stroke: "#262b36", width: 1 }, ticks: { stroke: "#262b36" }, font: AXIS_FONT, size: yAxisSize, values: (_u, vals) => vals.map((v) => fmtNum(v, 3)) },
      ],
      hooks: {
        setScale: [(u, key) => key === "x" && onZoom(u)],
        setCursor: [(u) => this.showTip(chart, u)],
        draw: [(u) => drawNotes(u, chart.notes)],
      },
    };
    chart.plot = new (UPlot as typeof uPlot)(opts, [[]], body);
    body.addEventListener("contextmenu", (e) => this.onContext(chart, e));
    body.addEventListener("mouseleave", () => (tip.style.display = "none"));
    return chart;
  }

  private update(chart: Chart, runs: Map<string, Curve>): void {
    if (!drawsRuns(chart, runs)) {
      // A run appeared since the chart was built: it is built again, in a frame of its own.
      this.pending.add(chart.metric);
      this.drawPending();
      return;
    }
    const a = align(runs);
    const data: (number | null)[][] = [a.xs];
    for (const r of a.runs) data.push(r.y, r.hasBand ? r.hi : r.hi.map(() => null), r.hasBand ? r.lo : r.lo.map(() => null), r.mk);
    chart.notes = a.notes;
    chart.plot.setData(data as uPlot.AlignedData, chart.zoom === null);
    if (chart.zoom) chart.plot.setScale("x", chart.zoom);
    const n = countPoints(runs);
    chart.drawnPoints = n;
    chart.el.dataset.points = String(n);
    const head = chart.head;
    clear(head);
    head.append(h("span", { class: "chart-name" }, chart.metric));
    for (const r of a.runs) {
      let last: number | null = null;
      for (let i = r.y.length - 1; i >= 0; i--) if (r.y[i] !== null) {
        last = r.y[i];
        break;
      }
      head.append(h("span", { class: "run-chip", title: `run ${r.hash}` }, h("i", { style: `background:${this.colorFor(r.hash)}` }), shortHash(r.hash), last !== null ? h("b", {}, fmtNum(last, 4)) : null));
    }
    if (chart.zoom) head.append(h("span", { class: "zoom-chip" }, `zoom ${chart.zoom.min}–${chart.zoom.max}`));
  }

  private async onScale(chart: Chart, u: uPlot): Promise<void> {
    const xs = u.data[0];
    if (!xs || xs.length === 0) return;
    const min = Math.floor(u.scales.x.min ?? xs[0]);
    const max = Math.ceil(u.scales.x.max ?? xs[xs.length - 1]);
    const full = min <= xs[0] && max >= xs[xs.length - 1];
    if (full) {
      if (chart.zoom) {
        chart.zoom = null;
        const runs = this.store.get(chart.metric);
        if (runs) this.update(chart, runs);
      }
      return;
    }
    if (chart.zoom && chart.zoom.min === min && chart.zoom.max === max) return;
    chart.zoom = { min, max };
    await this.loadDetail(chart, min, max);
    const runs = this.store.get(chart.metric);
    if (runs && chart.zoom?.min === min && chart.zoom?.max === max) this.update(chart, runs);
  }

  /** Replaces the points of `chart` inside [min, max] with finer ones, one per pixel. */
  private async loadDetail(chart: Chart, min: number, max: number): Promise<void> {
    const res = await attempt(`Loading detail for ${chart.metric}`, () =>
      api.getLatestLoggerData({
        requestFullHistory: true,
        maxPoints: Math.max(200, Math.round(chart.plot.bbox.width / devicePixelRatio)),
        hasXRange: true,
        xMin: BigInt(min),
        xMax: BigInt(max),
        metricNames: [chart.metric],
      }),
    );
    if (!res || chart.zoom?.min !== min || chart.zoom?.max !== max) return;
    replaceRange(this.store, chart.metric, min, max, res.points);
  }

  private showTip(chart: Chart, u: uPlot): void {
    const idx = u.cursor.idx;
    if (idx === null || idx === undefined || u.cursor.left === undefined || u.cursor.left < 0) {
      chart.tip.style.display = "none";
      return;
    }
    const x = u.data[0][idx];
    const rows: string[] = [`step ${x}`];
    for (let s = 1; s < u.series.length; s += 4) {
      const y = u.data[s][idx];
      const mk = u.data[s + 3][idx];
      if (y !== null && y !== undefined) rows.push(`${shortHash(u.series[s].label as string)}  ${fmtNum(y as number, 5)}`);
      const hi = u.data[s + 1][idx];
      const lo = u.data[s + 2][idx];
      if (y !== null && y !== undefined && typeof lo === "number" && typeof hi === "number") {
        rows.push(`  samples ${fmtNum(lo, 3)} – ${fmtNum(hi, 3)}`);
      }
      if (mk !== null && mk !== undefined) rows.push(`eval  ${fmtNum(mk as number, 5)}`);
    }
    const note = chart.notes.find((n) => n.x === x);
    if (note) rows.push(`✎ ${note.note}`);
    chart.tip.textContent = rows.join("\n");
    chart.tip.style.display = "block";
    placeTip(chart, u);
  }

  private onContext(chart: Chart, e: MouseEvent): void {
    const u = chart.plot;
    const idx = u.cursor.idx;
    if (idx === null || idx === undefined) return;
    e.preventDefault();
    const x = u.data[0][idx];
    // The run whose line is nearest to the pointer owns the point.
    const yVal = u.posToVal(u.cursor.top ?? 0, "y");
    let best = chart.hashes[0];
    let bestD = Infinity;
    chart.hashes.forEach((hash, k) => {
      const y = u.data[1 + 4 * k][idx] ?? u.data[4 + 4 * k][idx];
      if (y !== null && y !== undefined && Math.abs((y as number) - yVal) < bestD) {
        bestD = Math.abs((y as number) - yVal);
        best = hash;
      }
    });
    const existing = chart.notes.find((n) => n.x === x && n.hash === best)?.note;
    void this.pointMenu(chart, e.clientX, e.clientY, x, best, existing);
  }

  /** The point's menu: notes, and restores that name the checkpoint the server will load (the
   *  run list says which one, so it is read first). */
  private async pointMenu(chart: Chart, cx: number, cy: number, x: number, hash: string, existing?: string): Promise<void> {
    const run = await readCheckpoints(hash);
    contextMenu(cx, cy, [
      { label: `${chart.metric} · step ${fmtNum(x)} · run ${shortHash(hash)}` },
      { label: existing ? "Edit note…" : "Add note…", action: () => void this.note(chart, hash, x, existing) },
      ...(existing ? [{ label: "Remove note", action: () => void this.saveNote(chart, hash, x, "") }] : []),
      "sep",
      ...restoreItems(run, x),
    ]);
  }

  private async note(chart: Chart, hash: string, x: number, current?: string): Promise<void> {
    const text = await promptText({ title: `Note on ${chart.metric} at step ${x}`, value: current, placeholder: "e.g. lr drop, relabelled class 3", okLabel: "Save note" });
    if (text !== null) await this.saveNote(chart, hash, x, text);
  }

  private async saveNote(chart: Chart, hash: string, x: number, note: string): Promise<void> {
    const res = await attempt("Saving the note", () =>
      api.experimentCommand({ plotNoteOperation: { metricName: chart.metric, experimentHash: hash, modelAge: x, note } }),
    );
    if (!res) return;
    if (!res.success) {
      toast(`The note was not saved: ${res.message}`);
      return;
    }
    const c = this.store.get(chart.metric)?.get(hash);
    const p = c?.find((q) => q.x === x && !q.marker);
    if (p) p.note = note;
    const runs = this.store.get(chart.metric);
    if (runs) this.update(chart, runs);
  }

  private resize(): void {
    const w = Math.max(200, this.list.clientWidth - 16);
    for (const c of this.charts.values()) c.plot.setSize({ width: w, height: 150 });
  }

  /** For tests and the status line: points held for a metric. */
  points(metric: string): number {
    return countPoints(this.store.get(metric));
  }
}

/** The point menu's restore items; an item without an action is shown as an explanation. */
function restoreItems(run: RunCheckpoints | undefined, x: number): { label: string; action?: () => void }[] {
  if (!run) return [{ label: "Checkpoints unknown: the run list could not be read" }];
  if (run.latest < 0) return [{ label: `Run ${shortHash(run.hash)} has no saved checkpoint yet: nothing to restore` }];
  const p = pointRestore(run.steps, run.latest, x);
  return [
    { label: pointRestoreLabel(p, x), action: () => void restoreNearPoint(run, x, p) },
    { label: `Restore run ${shortHash(run.hash)} (latest checkpoint, step ${fmtNum(run.latest)})…`, action: () => void restoreRun(run) },
  ];
}

/** Puts the tooltip beside the cursor, inside the chart: right of it, or left of it where the
 *  right side has no room, and below the chart's header so the run and zoom chips stay visible. */
function placeTip(chart: Chart, u: uPlot): void {
  const tip = chart.tip;
  const box = chart.el.getBoundingClientRect();
  const over = u.over.getBoundingClientRect();
  const x = over.left - box.left + (u.cursor.left ?? 0);
  const gap = 14;
  const w = tip.offsetWidth;
  const room = chart.el.clientWidth - 4;
  let left = x + gap;
  if (left + w > room) left = x - gap - w;
  tip.style.left = `${Math.max(4, Math.min(left, room - w))}px`;
  tip.style.top = `${chart.head.offsetTop + chart.head.offsetHeight + 2}px`;
}

/** Whether `chart` has series for exactly the runs in `runs` (else it must be built again). */
function drawsRuns(chart: Chart, runs: Map<string, Curve>): boolean {
  return chart.hashes.join("|") === [...runs.keys()].join("|");
}

let measure: CanvasRenderingContext2D | null | undefined;

/** The y axis's width: its widest tick label plus the tick and a gap, so that labels such as
 *  "10,000" are never cut at the chart's left edge. */
function yAxisSize(_u: uPlot, values: string[] | undefined): number {
  if (!values?.length) return 36;
  measure ??= document.createElement("canvas").getContext("2d");
  if (!measure) return 56;
  measure.font = AXIS_FONT;
  let widest = 0;
  for (const v of values) widest = Math.max(widest, measure.measureText(v).width);
  return Math.max(36, Math.ceil(widest) + 18);
}

function hexAlpha(hex: string, a: number): string {
  const n = parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255},${(n >> 8) & 255},${n & 255},${a})`;
}

function drawNotes(u: uPlot, notes: { x: number; y: number; note: string }[]): void {
  if (notes.length === 0) return;
  const ctx = u.ctx;
  const px = devicePixelRatio;
  ctx.save();
  ctx.font = `${10 * px}px system-ui`;
  // uPlot leaves the alignment of its last axis label on the context.
  ctx.textAlign = "left";
  ctx.textBaseline = "middle";
  const s = 5 * px;
  const shown = notes
    .map((n) => ({ text: n.note, cx: u.valToPos(n.x, "x", true), cy: u.valToPos(n.y, "y", true) }))
    .filter((n) => n.cx >= u.bbox.left && n.cx <= u.bbox.left + u.bbox.width);
  ctx.fillStyle = NOTE_COLOR;
  for (const { cx, cy } of shown) {
    ctx.beginPath();
    ctx.moveTo(cx, cy - s * 2.2);
    ctx.lineTo(cx - s, cy - s * 4);
    ctx.lineTo(cx + s, cy - s * 4);
    ctx.closePath();
    ctx.fill();
  }
  // The labels after every marker, placed clear of the other markers and labels.
  const taken: Box[] = shown.map(({ cx, cy }) => ({ x: cx - s, y: cy - s * 4, w: 2 * s, h: s * 1.8 }));
  for (const n of shown) {
    const text = n.text.length > 18 ? `${n.text.slice(0, 17)}…` : n.text;
    const box = noteBox(u, ctx.measureText(text).width, n.cx, n.cy - s * 3, s, taken);
    taken.push(box);
    noteLabel(ctx, text, box);
  }
  ctx.restore();
}

const NOTE_COLOR = "#ffd166";

interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** Where a note's label goes: beside its marker (left of it where the plot's right edge is
 *  near), inside the plot, and moved up or down a row when it would cover a label already drawn. */
function noteBox(u: uPlot, textWidth: number, cx: number, cy: number, s: number, taken: Box[]): Box {
  const px = devicePixelRatio;
  const w = textWidth + 6 * px;
  const h = 14 * px;
  const { left, top, width, height } = u.bbox;
  let x = cx + s * 1.4;
  if (x + w > left + width) x = Math.max(left, cx - s * 1.4 - w);
  const inside = (y: number) => Math.max(top, Math.min(y, top + height - h));
  const base = inside(cy - h / 2);
  for (const shift of [0, -1, 1, -2, 2]) {
    const box = { x, y: inside(base + shift * (h + 2 * px)), w, h };
    if (!taken.some((t) => overlaps(t, box))) return box;
  }
  return { x, y: base, w, h };
}

function overlaps(a: Box, b: Box): boolean {
  return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}

/** A note's text on an opaque dark tag, readable over the curves and the band. */
function noteLabel(ctx: CanvasRenderingContext2D, text: string, box: Box): void {
  const px = devicePixelRatio;
  ctx.fillStyle = "rgba(12, 14, 19, 0.92)";
  ctx.strokeStyle = "rgba(255, 209, 102, 0.55)";
  ctx.lineWidth = px;
  ctx.beginPath();
  ctx.rect(box.x, box.y, box.w, box.h);
  ctx.fill();
  ctx.stroke();
  ctx.fillStyle = NOTE_COLOR;
  ctx.fillText(text, box.x + 3 * px, box.y + box.h / 2);
}
