//! Curve storage for the plots: per metric, per run, points kept sorted by step; full history
//! replaces, incremental polls append, zoom detail replaces the points inside its x range.
//! The owner keeps curves short by replacing the history once one grows long (`longestCurve`).

import type { LoggerDataPoint } from "../gen/experiment_service_pb.js";

export interface Pt {
  x: number;
  y: number;
  lo?: number;
  hi?: number;
  marker: boolean;
  note: string;
}

export type Curve = Pt[];

/** metric -> run hash -> points sorted by x. */
export type Store = Map<string, Map<string, Curve>>;

function toPt(p: LoggerDataPoint): Pt {
  return {
    x: p.modelAge,
    y: p.metricValue,
    lo: p.hasValueRange ? p.valueMin : undefined,
    hi: p.hasValueRange ? p.valueMax : undefined,
    marker: p.isEvaluationMarker,
    note: p.pointNote,
  };
}

function curveOf(store: Store, metric: string, hash: string): Curve {
  let runs = store.get(metric);
  if (!runs) {
    runs = new Map();
    store.set(metric, runs);
  }
  let c = runs.get(hash);
  if (!c) {
    c = [];
    runs.set(hash, c);
  }
  return c;
}

/** Index of the first point with x >= target. */
export function lowerBound(c: Curve, x: number): number {
  let lo = 0;
  let hi = c.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (c[mid].x < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Inserts keeping x order; a point at an existing step replaces it unless kinds differ. */
export function insert(c: Curve, p: Pt): void {
  if (c.length === 0 || c[c.length - 1].x < p.x) {
    c.push(p);
    return;
  }
  let i = lowerBound(c, p.x);
  while (i < c.length && c[i].x === p.x) {
    if (c[i].marker === p.marker) {
      c[i] = p;
      return;
    }
    i++;
  }
  c.splice(i, 0, p);
}

/** A full-history answer: every (metric, run) it contains is replaced. */
export function replaceHistory(store: Store, points: LoggerDataPoint[]): void {
  const seen = new Set<string>();
  for (const p of points) {
    const key = `${p.metricName}\u0000${p.experimentHash}`;
    const c = curveOf(store, p.metricName, p.experimentHash);
    if (!seen.has(key)) {
      seen.add(key);
      c.length = 0;
    }
    insert(c, toPt(p));
  }
}

export function appendPoints(store: Store, points: LoggerDataPoint[]): number {
  for (const p of points) insert(curveOf(store, p.metricName, p.experimentHash), toPt(p));
  return points.length;
}

/** Zoom detail for one metric: points inside [xMin, xMax] are replaced by the finer answer. */
export function replaceRange(store: Store, metric: string, xMin: number, xMax: number, points: LoggerDataPoint[]): void {
  const runs = store.get(metric);
  const byRun = new Map<string, Pt[]>();
  for (const p of points) {
    if (p.metricName !== metric) continue;
    let arr = byRun.get(p.experimentHash);
    if (!arr) byRun.set(p.experimentHash, (arr = []));
    arr.push(toPt(p));
  }
  for (const [hash, pts] of byRun) {
    const c = runs?.get(hash) ?? curveOf(store, metric, hash);
    const a = lowerBound(c, xMin);
    let b = lowerBound(c, xMax);
    while (b < c.length && c[b].x === xMax) b++;
    pts.sort((p, q) => p.x - q.x);
    c.splice(a, b - a, ...pts);
  }
}

export interface Aligned {
  xs: number[];
  /** Per run: y, lo, hi and marker columns aligned with xs (null where the run has no point). */
  runs: { hash: string; y: (number | null)[]; lo: (number | null)[]; hi: (number | null)[]; mk: (number | null)[]; hasBand: boolean }[];
  notes: { x: number; y: number; note: string; hash: string }[];
}

/** Joins a metric's runs on a shared x axis, which uPlot requires. */
export function align(runs: Map<string, Curve>): Aligned {
  const xset = new Set<number>();
  for (const c of runs.values()) for (const p of c) xset.add(p.x);
  const xs = [...xset].sort((a, b) => a - b);
  const pos = new Map<number, number>();
  xs.forEach((x, i) => pos.set(x, i));
  const out: Aligned = { xs, runs: [], notes: [] };
  for (const [hash, c] of runs) {
    const n = xs.length;
    const y: (number | null)[] = new Array(n).fill(null);
    const lo: (number | null)[] = new Array(n).fill(null);
    const hi: (number | null)[] = new Array(n).fill(null);
    const mk: (number | null)[] = new Array(n).fill(null);
    let hasBand = false;
    for (const p of c) {
      const i = pos.get(p.x) as number;
      if (p.marker) mk[i] = p.y;
      else {
        y[i] = p.y;
        if (p.lo !== undefined && p.hi !== undefined) {
          lo[i] = p.lo;
          hi[i] = p.hi;
          hasBand = true;
        }
      }
      if (p.note) out.notes.push({ x: p.x, y: p.y, note: p.note, hash });
    }
    out.runs.push({ hash, y, lo, hi, mk, hasBand });
  }
  return out;
}

/** The most points any one curve holds. */
export function longestCurve(store: Store): number {
  let n = 0;
  for (const runs of store.values()) for (const c of runs.values()) n = Math.max(n, c.length);
  return n;
}

export function countPoints(runs: Map<string, Curve> | undefined): number {
  let n = 0;
  if (runs) for (const c of runs.values()) n += c.length;
  return n;
}
