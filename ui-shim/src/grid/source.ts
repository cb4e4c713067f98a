//! The grid's data source over the wire: GetDataSamples pages with 128×128 thumbnails, loaded
//! by the page worker (see pageworker.ts); the first two pages come from the answers index.html
//! asked for early, decoded on the main thread (the first screen should not wait for a second
//! script), and the main thread takes every page where workers are unavailable.

import { Code, ConnectError } from "@connectrpc/connect";
import { api, currentAuth } from "../api";
import { hasEarlyPage, takeEarlyPage } from "./early";
import { loadPage, pageFromResponse, type FromWorker, type PageResult, type ToWorker } from "./wire";
import type { PageSource } from "./pages";

interface Pending {
  resolve: (page: PageResult) => void;
  reject: (err: unknown) => void;
}

/** Pages through the worker: the main thread only receives ready Samples and data: URLs. */
class WorkerSource implements PageSource {
  /** The worker could not start or stopped: its calls are rejected, later ones go elsewhere. */
  failed = false;
  private pending = new Map<number, Pending>();
  private next = 0;

  constructor(private worker: Worker) {
    worker.addEventListener("message", (e: MessageEvent<FromWorker>) => this.receive(e.data));
    worker.addEventListener("error", (e) => {
      // A worker that failed fails the calls it holds; later ones stay on the main thread.
      this.failed = true;
      const err = new ConnectError(`the page worker failed: ${e.message || "it could not be started"}`, Code.Internal);
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    });
  }

  private send(msg: ToWorker): void {
    this.worker.postMessage(msg);
  }

  private receive(msg: FromWorker): void {
    const p = this.pending.get(msg.id);
    // Aborted on this side after the worker had answered: nobody waits for it.
    if (!p) return;
    this.pending.delete(msg.id);
    if ("page" in msg) p.resolve(msg.page);
    else p.reject(new ConnectError(msg.message, msg.code as Code));
  }

  release = releaseNothing;

  fetch(start: number, count: number, signal: AbortSignal, withImages: boolean): Promise<PageResult> {
    return new Promise<PageResult>((resolve, reject) => {
      const id = ++this.next;
      this.pending.set(id, { resolve, reject });
      signal.addEventListener("abort", () => {
        if (!this.pending.delete(id)) return;
        this.send({ kind: "abort", id });
        reject(new ConnectError("the page is no longer needed", Code.Canceled));
      });
      this.send({ kind: "fetch", id, start, count, withImages, ...currentAuth() });
    });
  }
}

/** Both ways make data: URLs, which hold nothing to give back when a page leaves the cache. */
function releaseNothing(): void {}

/** The same calls on the main thread, over the Studio's own client; the first pages come
 *  from the answers index.html asked for early, when they succeeded. */
function mainThreadSource(): PageSource {
  return {
    fetch: async (start, count, signal, withImages) => {
      if (hasEarlyPage(start, count, withImages)) {
        const early = await takeEarlyPage(start, count);
        if (signal.aborted) throw new ConnectError("the page is no longer needed", Code.Canceled);
        if (early) return pageFromResponse(early);
      }
      return loadPage(api, start, count, withImages, signal);
    },
    release: releaseNothing,
  };
}

function makeSource(): PageSource {
  const local = mainThreadSource();
  let remote: WorkerSource;
  try {
    remote = new WorkerSource(new Worker(new URL("./pageworker.ts", import.meta.url), { type: "module" }));
  } catch {
    return local;
  }
  return {
    // Pages other than the early ones go to the worker even before it has started (its messages
    // wait for it): asking on this thread would load the RPC client now, ahead of the first
    // screen (see api.ts). Once the worker has failed, this thread takes over.
    fetch: (start, count, signal, withImages) =>
      (remote.failed || hasEarlyPage(start, count, withImages) ? local : remote).fetch(start, count, signal, withImages),
    release: releaseNothing,
  };
}

/** The real source. Made when the Studio loads, so the worker starts alongside the first calls. */
export const grpcSource: PageSource = makeSource();
