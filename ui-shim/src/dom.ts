//! Tiny DOM helpers: element creation and event wiring without a framework.

type Attrs = Record<string, string | number | boolean | EventListener | undefined>;

/** Creates an element; `on*` attributes become listeners, `class` and others become attributes. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: (Node | string | null | undefined | false)[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2).toLowerCase(), value);
    } else if (value === true) {
      el.setAttribute(key, "");
    } else {
      el.setAttribute(key, String(value));
    }
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child);
  }
  return el;
}

export function clear(el: Element): void {
  while (el.firstChild) el.removeChild(el.firstChild);
}

/** An integer with comma thousands separators, as en-US writes it ("12,345"). Not through
 *  `Intl`: the first formatter a page makes starts ICU (25–90 ms measured here), which held up
 *  the first screen; and `toLocaleString` builds a formatter on every call. */
function groupThousands(v: number): string {
  const text = String(v);
  // Up to 1e21 String() writes every digit; past it, exponent notation, left as it is.
  return Math.abs(v) < 1e21 ? text.replace(/\B(?=(\d{3})+(?!\d))/g, ",") : text;
}

/** Formats a number compactly for dense UIs: 0.01234 -> "0.0123", 12345 -> "12,345". */
export function fmtNum(v: number | undefined, digits = 4): string {
  if (v === undefined || Number.isNaN(v)) return "–";
  if (Number.isInteger(v)) return groupThousands(v);
  const abs = Math.abs(v);
  if (abs !== 0 && (abs < 1e-3 || abs >= 1e6)) return v.toExponential(2);
  return Number(v.toPrecision(digits)).toString();
}

/** Tick spacings for axes of whole numbers (training steps, encounters): 1, 2, 5, 10, 20, …
 *  so that a chart of a few steps never labels step 2.5. */
export const STEP_INCRS: number[] = Array.from({ length: 10 }, (_, decade) => [1, 2, 5].map((m) => m * 10 ** decade)).flat();

/** Debounce that keeps the latest arguments. */
export function debounce<A extends unknown[]>(fn: (...a: A) => void, ms: number): (...a: A) => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return (...a: A) => {
    if (timer !== undefined) clearTimeout(timer);
    timer = setTimeout(() => fn(...a), ms);
  };
}

/** Runs `task` when the page is idle (within 2 s), or soon where idle callbacks are missing. */
export function whenIdle(task: () => void): void {
  if ("requestIdleCallback" in window) requestIdleCallback(task, { timeout: 2000 });
  else setTimeout(task, 300);
}
