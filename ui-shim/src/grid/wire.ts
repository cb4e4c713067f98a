//! One grid page over the wire, as the Studio's worker (or the main thread where there is no
//! worker) loads it: the GetDataSamples call, the records turned into Samples, and one image
//! URL per thumbnail.

import type { Api } from "../client";
import type { DataSamplesResponse } from "../gen/experiment_service_pb.js";
import { parseRecord, type Sample } from "./records";

/** The grid's thumbnail size: cells are at most 148 px wide. (index.html asks for the first
 *  pages with the same size before this code has loaded.) */
export const THUMB_PX = 128;

export interface PageResult {
  samples: Sample[];
  /** One per sample: its thumbnail's data: URL, or "" when it has none (or none was asked). */
  urls: string[];
  viewCount?: number;
}

/** `Uint8Array.prototype.toBase64` where the browser has it (Chromium 140+, Safari 18.2+): a
 *  screen of thumbnails took 26 ms through `btoa` and 0.5 ms this way in headless Chromium. */
type WithBase64 = Uint8Array & { toBase64?: () => string };

export function base64(bytes: Uint8Array): string {
  const native = (bytes as WithBase64).toBase64;
  if (typeof native === "function") return native.call(bytes);
  let binary = "";
  for (let at = 0; at < bytes.length; at += 0x8000) binary += String.fromCharCode(...bytes.subarray(at, at + 0x8000));
  return btoa(binary);
}

/** A thumbnail as an image URL. A data: URL, not a blob URL: an <img> loads a data: URL in the
 *  page's own process, and a blob URL through the browser process. Traced over the browser
 *  test's scroll, 5 alternating runs each: a load cost the main thread 0.71-1.00 ms with blob
 *  URLs made in the worker (3 loads took over 5 ms) and 0.62-0.90 ms with data: URLs (1 did),
 *  and the longest task of the fill-in after the scroll was 31-41 ms against 16-32 ms. A rerun,
 *  3 alternating runs each: 0.95-1.21 ms a load (3 over 5 ms) against 0.77-0.96 ms (none).
 *  On a machine loaded further by two more demo servers, data: URL loads stalled too, up to
 *  37 ms. Registering a blob URL on the main thread cost more still: about 1 ms a thumbnail. */
function dataUrl(bytes: Uint8Array, mime: string): string {
  return `data:${mime};base64,${base64(bytes)}`;
}

/** Loads samples [start, start + count) with a data: URL per thumbnail. */
export async function loadPage(
  client: Api,
  start: number,
  count: number,
  withImages: boolean,
  signal: AbortSignal,
): Promise<PageResult> {
  const res = await client.getDataSamples(
    { startIndex: start, recordsCnt: count, includeRawData: withImages, resizeWidth: THUMB_PX, resizeHeight: THUMB_PX },
    { signal },
  );
  return pageFromResponse(res);
}

/** A GetDataSamples answer as a grid page: Samples, and a data: URL per thumbnail. */
export function pageFromResponse(res: DataSamplesResponse): PageResult {
  if (!res.success && res.dataRecords.length === 0) {
    // The server says the slice is empty: treat it as the end of the view rather than an error.
    return { samples: [], urls: [], viewCount: Number(res.viewCount) || undefined };
  }
  const samples = res.dataRecords.map(parseRecord);
  const urls = samples.map((s) => (s.image ? dataUrl(s.image.bytes, s.image.mime) : ""));
  return { samples, urls, viewCount: res.viewCount > 0n ? Number(res.viewCount) : undefined };
}
