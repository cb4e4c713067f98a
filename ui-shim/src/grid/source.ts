//! The grid's data source over the wire: GetDataSamples pages with 128×128 thumbnails.

import { api } from "../api";
import { parseRecord } from "./records";
import type { PageSource } from "./pages";

/** The real source: one GetDataSamples call with 128×128 thumbnails. */
export const grpcSource: PageSource = {
  async fetch(start, count, signal, withImages) {
    const res = await api.getDataSamples(
      { startIndex: start, recordsCnt: count, includeRawData: withImages, resizeWidth: 128, resizeHeight: 128 },
      { signal },
    );
    if (!res.success && res.dataRecords.length === 0) {
      // The server says the slice is empty: treat it as the end of the view rather than an error.
      return { samples: [], viewCount: Number(res.viewCount) || undefined };
    }
    return { samples: res.dataRecords.map(parseRecord), viewCount: res.viewCount > 0n ? Number(res.viewCount) : undefined };
  },
};
