//! Page cache over GetDataSamples: fetches the pages the viewport needs (nearest first, a few
//! at a time), owns the thumbnail blob URLs and revokes them when a page leaves the window.

import type { Sample } from "./records";

export interface PageSource {
  fetch(start: number, count: number, signal: AbortSignal, withImages: boolean): Promise<{ samples: Sample[]; viewCount?: number }>;
}

interface Page {
  samples: Sample[];
  /** undefined: not made yet; "": the sample has no image. */
  urls: (string | undefined)[];
}

export class PageCache {
  readonly pageSize: number;
  private pages = new Map<number, Page>();
  private inflight = new Map<number, AbortController>();
  private generation = 0;
  private wanted: number[] = [];
  private readonly maxInflight = 4;
  private readonly maxPages: number;
  onPage: (page: number) => void = () => {};
  onViewCount: (n: number) => void = () => {};
  onError: (err: unknown) => void = () => {};

  constructor(
    private source: PageSource,
    pageSize = 32,
    maxPages = 48,
  ) {
    this.pageSize = pageSize;
    this.maxPages = maxPages;
  }

  get(index: number): Sample | undefined {
    const page = this.pages.get(Math.floor(index / this.pageSize));
    return page?.samples[index % this.pageSize];
  }

  /**
   * The thumbnail's blob URL, made on first use: pages fetched ahead of a fast scroll that the
   * user never stops on cost no blob registrations. Revoked when the page leaves the cache.
   */
  thumb(index: number, make = true): string | undefined {
    const page = this.pages.get(Math.floor(index / this.pageSize));
    if (!page) return undefined;
    const k = index % this.pageSize;
    let url = page.urls[k];
    if (url === undefined) {
      if (!make) return undefined;
      const img = page.samples[k]?.image;
      url = img ? URL.createObjectURL(new Blob([img.bytes as BlobPart], { type: img.mime })) : "";
      page.urls[k] = url;
    }
    return url === "" ? undefined : url;
  }

  /** True when the sample has an image whose blob URL has not been made yet. */
  thumbPending(index: number): boolean {
    const page = this.pages.get(Math.floor(index / this.pageSize));
    const k = index % this.pageSize;
    return !!page && page.urls[k] === undefined && page.samples[k]?.image !== undefined;
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
    for (const p of this.pages.values()) revoke(p);
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
   * Asks for the pages covering [first, last] and keeps the cache bounded around them. With
   * `fetch` false (mid-scroll) it only cancels requests for pages that went out of range: the
   * server would otherwise build thumbnails nobody will look at.
   */
  want(first: number, last: number, total: number, fetch = true): void {
    if (total <= 0) return;
    const firstPage = Math.max(0, Math.floor(first / this.pageSize));
    const lastPage = Math.min(Math.floor((total - 1) / this.pageSize), Math.floor(last / this.pageSize));
    const centre = (firstPage + lastPage) / 2;
    const list: number[] = [];
    for (let p = firstPage; p <= lastPage; p++) if (!this.pages.has(p)) list.push(p);
    list.sort((a, b) => Math.abs(a - centre) - Math.abs(b - centre));
    this.wanted = list;
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
      const p = this.wanted.shift() as number;
      if (this.pages.has(p) || this.inflight.has(p)) continue;
      void this.load(p, false);
    }
  }

  private async load(page: number, replace: boolean): Promise<void> {
    const gen = this.generation;
    const ctl = new AbortController();
    this.inflight.set(page, ctl);
    try {
      const old = replace ? this.pages.get(page) : undefined;
      const { samples, viewCount } = await this.source.fetch(page * this.pageSize, this.pageSize, ctl.signal, !old);
      if (gen !== this.generation || ctl.signal.aborted) return;
      let urls: (string | undefined)[] = new Array(samples.length);
      if (old) {
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
      if (prev && prev.urls !== urls) revoke(prev);
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
      if (page) revoke(page);
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

function revoke(page: Page): void {
  for (const u of page.urls) if (u) URL.revokeObjectURL(u);
}
