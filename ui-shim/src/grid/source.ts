//! The grid's data source over the wire: GetDataSamples pages with 128×128 thumbnails, loaded
//! by the Studio's worker (see worker/worker.ts); the first two pages come from the answers
//! index.html asked for early, decoded on the main thread (the first screen should not wait for
//! a second script), and the main thread takes every page where workers are unavailable.

import { Code, ConnectError } from "@connectrpc/connect";
import { api, currentAuth } from "../api";
import { hasEarlyPage, takeEarlyPage } from "./early";
import { studioWorker, type WorkerLink } from "../worker/link";
import { loadPage, pageFromResponse } from "./wire";
import type { PageSource } from "./pages";

/** Pages through the Studio's worker: the main thread only receives ready Samples and data:
 *  URLs. */
function workerSource(link: WorkerLink): PageSource {
  return {
    fetch: async (start, count, signal, withImages) => {
      const { id, answer } = link.ask((id) => ({ kind: "fetch", id, start, count, withImages, ...currentAuth() }));
      const aborted = new Promise<never>((_, reject) =>
        signal.addEventListener("abort", () => {
          if (!link.forget(id)) return;
          link.post({ kind: "abort", id });
          reject(new ConnectError("the page is no longer needed", Code.Canceled));
        }),
      );
      const msg = await Promise.race([answer, aborted]);
      if (msg.kind === "page") return msg.page;
      if (msg.kind === "page-failed") throw new ConnectError(msg.message, msg.code as Code);
      throw new ConnectError(`the Studio's worker answered a page with "${msg.kind}"`, Code.Internal);
    },
    release: releaseNothing,
  };
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
  const link = studioWorker;
  if (!link) return local;
  const remote = workerSource(link);
  return {
    // Pages other than the early ones go to the worker even before it has started (its messages
    // wait for it): asking on this thread would load the RPC client now, ahead of the first
    // screen (see api.ts). Once the worker has failed, this thread takes over.
    fetch: (start, count, signal, withImages) =>
      (link.failed || hasEarlyPage(start, count, withImages) ? local : remote).fetch(start, count, signal, withImages),
    release: releaseNothing,
  };
}

/** The real source. Made when the Studio loads, so the worker starts alongside the first calls. */
export const grpcSource: PageSource = makeSource();
