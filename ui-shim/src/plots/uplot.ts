//! uPlot, loaded on first use rather than with the page: its module builds an
//! `Intl.NumberFormat` as it loads, and the first one a page makes starts ICU, measured at
//! 25–90 ms of main-thread time on this machine. Charts are drawn after the grid's first
//! screen, so that cost no longer delays it.

import type uPlot from "uplot";

let loading: Promise<typeof uPlot> | undefined;

/** The uPlot constructor; the module loads once. */
export function loadUPlot(): Promise<typeof uPlot> {
  loading ??= (async () => {
    fixLanguageTag();
    return (await import("uplot")).default;
  })();
  return loading;
}

/** WebKitGTK started without LANG reports `navigator.language` = "C", which Intl rejects, and
 *  uPlot would throw building its formatter: give such a page a tag Intl accepts. */
function fixLanguageTag(): void {
  try {
    new Intl.NumberFormat(navigator.language);
  } catch {
    Object.defineProperty(navigator, "language", { value: "en-US", configurable: true });
  }
}
