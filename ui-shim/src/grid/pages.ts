//! Page cache over GetDataSamples: fetches the pages the viewport needs (the visible ones
//! first, the read-ahead once those are in, a few at a time), holds the thumbnail URLs the source
//! made with each page and hands them back to it when the page leaves the window.

import type { Sample } from "./records";

export interface PageSource {
  /** Samples [start, start + count) and, when `withImages`, a thumbnail URL for each ("" if none). */
  fetch(start: number, count: number, signal: AbortSignal, withImages: boolean): Promise<{ samples: Sample[]; urls: string[]; viewCount?: number }>;
  /** The URLs of a page that left the cache: they will not be shown again. */
  release(urls: string[]): void;
}

interface Page {
  samples: Sample[];
  /** One per sample; "": the sample has no image. */
  urls: string[];
}

/** Samples per GetDataSamples page. index.html asks for the first two pages of this size
 *  before the app's code has loaded (see early.ts). */
export const PAGE_SIZE = 32;

export class PageCache {
  readonly pageSize: number;
  private pages = new Map<number, Page>();
  private inflight = new Map<number, AbortController>();
  private generation = 0;
  private wanted: number[] = [];
  /** Pages that cover the viewport itself; read-ahead waits until none of them is in flight. */
  private visible = new Set<number>();
  private readonly maxInflight = 4;
  private readonly maxPages: number;
  onPage: (page: number) => void = () => {};
  onViewCount: (n: number) => void = () => {};
  onError: (err: unknown) => void = () => {};

  constructor(
    private source: PageSource,
    pageSize = PAGE_SIZE,
    maxPages = 48,
  ) {
    this.pageSize = pageSize;
    this.maxPages = maxPages;
  }

  get(index: number): Sample | undefined {
    const page = this.pages.get(Math.floor(index / this.pageSize));
    return page?.samples[index % this.pageSize];
  }

  /** The thumbnail URL of a loaded sample; undefined when it has none or is not loaded. */
  thumb(index: number): string | undefined {
    const page = this.pages.get(Math.floor(index / this.pageSize));
    return page?.urls[index % this.pageSize] || undefined;
  }

  has(page: number): boolean {
    return this.pages.has(page);
  }

  loadedSamples(): Sample[] {
    const out: Sample[] = [];
    for (const p of this.pages.values()) out.push(...p.samples);
    return out;
  }

  /** Drops everything (a new query or sort): in-flight answers for the old view are ignored. */
  reset(): void {
    this.generation += 1;
    for (const c of this.inflight.values()) c.abort();
    this.inflight.clear();
    for (const p of this.pages.values()) this.source.release(p.urls);
    this.pages.clear();
    this.wanted = [];
  }

  /**
   * Re-reads the given pages in place (after an edit, or as training moves losses) without
   * blanking them. Only the stats travel: the images of rows that are still the same sample
   * are kept, and a page whose order changed is fetched again in full.
   */
  refresh(pages: number[]): void {
    for (const p of pages) {
      if (this.inflight.has(p) || !this.pages.has(p)) continue;
      void this.load(p, true);
    }
  }

  /**
   * Asks for the pages covering [first, last] (what is on screen) plus `ahead` samples of
   * read-ahead on both sides, and keeps the cache bounded around them. On-screen pages go out
   * first, nearest the middle first; read-ahead only once they are in, so on a busy server it
   * never delays what the user is looking at. With `fetch` false (mid-scroll) it only cancels
   * requests for pages that went out of range: the server would otherwise build thumbnails
   * nobody will look at.
   */
  want(first: number, last: number, total: number, fetch = true, ahead = 0): void {
    if (total <= 0) return;
    const lastIndex = total - 1;
    const page = (i: number) => Math.floor(Math.max(0, Math.min(lastIndex, i)) / this.pageSize);
    const visFirst = page(first);
    const visLast = page(last);
    const firstPage = page(first - ahead);
    const lastPage = page(last + ahead);
    const centre = (visFirst + visLast) / 2;
    const outside = (p: number) => (p < visFirst ? visFirst - p : p > visLast ? p - visLast : 0);
    const list: number[] = [];
    for (let p = firstPage; p <= lastPage; p++) if (!this.pages.has(p)) list.push(p);
    list.sort((a, b) => outside(a) - outside(b) || Math.abs(a - centre) - Math.abs(b - centre));
    this.wanted = list;
    this.visible.clear();
    for (let p = visFirst; p <= visLast; p++) this.visible.add(p);
    // Answers for pages that scrolled away are no longer useful: free the connection for new ones.
    for (const [p, c] of this.inflight) {
      if (p < firstPage - 1 || p > lastPage + 1) {
        c.abort();
        this.inflight.delete(p);
      }
    }
    this.evict(firstPage, lastPage);
    if (fetch) this.pump();
    else this.wanted = [];
  }

  private pump(): void {
    while (this.inflight.size < this.maxInflight && this.wanted.length > 0) {
      const p = this.wanted[0];
      if (this.pages.has(p) || this.inflight.has(p)) {
        this.wanted.shift();
        continue;
      }
      if (!this.visible.has(p) && [...this.inflight.keys()].some((q) => this.visible.has(q))) return;
      this.wanted.shift();
      void this.load(p, false);
    }
  }

  private async load(page: number, replace: boolean): Promise<void> {
    const gen = this.generation;
    const ctl = new AbortController();
    this.inflight.set(page, ctl);
    try {
      const old = replace ? this.pages.get(page) : undefined;
      const got = await this.source.fetch(page * this.pageSize, this.pageSize, ctl.signal, !old);
      const { samples, viewCount } = got;
      let urls = got.urls;
      if (gen !== this.generation || ctl.signal.aborted) {
        this.source.release(urls);
        return;
      }
      if (old) {
        // Evicted (and its URLs released) while the refresh was out: nothing left to refresh.
        if (this.pages.get(page) !== old) return;
        const same = samples.length === old.samples.length && samples.every((s, k) => s.id === old.samples[k].id);
        if (!same) {
          // The rows moved (a sort or filter reacted to the edit): fetch the images again.
          if (this.inflight.get(page) === ctl) this.inflight.delete(page);
          void this.load(page, false);
          return;
        }
        samples.forEach((s, k) => (s.image = old.samples[k].image));
        urls = old.urls;
      }
      const prev = this.pages.get(page);
      if (prev && prev.urls !== urls) this.source.release(prev.urls);
      this.pages.set(page, { samples, urls });
      if (viewCount !== undefined) this.onViewCount(viewCount);
      this.onPage(page);
    } catch (err) {
      if (!ctl.signal.aborted && gen === this.generation) this.onError(err);
    } finally {
      if (this.inflight.get(page) === ctl) this.inflight.delete(page);
      if (gen === this.generation) this.pump();
    }
  }

  private evict(firstPage: number, lastPage: number): void {
    if (this.pages.size <= this.maxPages) return;
    const centre = (firstPage + lastPage) / 2;
    const far = [...this.pages.keys()]
      .filter((p) => p < firstPage || p > lastPage)
      .sort((a, b) => Math.abs(b - centre) - Math.abs(a - centre));
    for (const p of far) {
      if (this.pages.size <= this.maxPages) break;
      const page = this.pages.get(p);
      if (page) this.source.release(page.urls);
      this.pages.delete(p);
    }
  }

  /** Applies a local change to cached samples so the grid reflects an edit immediately. */
  patch(ids: Set<string>, fn: (s: Sample) => void): number[] {
    const touched: number[] = [];
    for (const [p, page] of this.pages) {
      let hit = false;
      for (const s of page.samples) {
        if (ids.has(s.id)) {
          fn(s);
          hit = true;
        }
      }
      if (hit) touched.push(p);
    }
    return touched;
  }
}
