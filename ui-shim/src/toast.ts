//! Bottom-of-screen notifications: errors stay longer than confirmations, repeats are merged.

import { h } from "./dom";
import { describeError, guarded, isAuthError } from "./api";

let host: HTMLElement | null = null;
const live = new Map<string, { el: HTMLElement; count: number; timer: ReturnType<typeof setTimeout> }>();

export function mountToasts(parent: HTMLElement): void {
  host = h("div", { class: "toasts", role: "status", "aria-live": "polite" });
  parent.append(host);
}

export function toast(text: string, kind: "error" | "info" | "ok" = "error"): void {
  if (!host) return;
  const ms = kind === "error" ? 6000 : 2500;
  const existing = live.get(text);
  if (existing) {
    existing.count += 1;
    existing.el.dataset.count = `×${existing.count}`;
    clearTimeout(existing.timer);
    existing.timer = setTimeout(() => drop(text), ms);
    return;
  }
  const el = h("div", { class: `toast toast-${kind}` }, text);
  el.addEventListener("click", () => drop(text));
  host.append(el);
  live.set(text, { el, count: 1, timer: setTimeout(() => drop(text), ms) });
  while (host.children.length > 4) {
    const first = host.firstElementChild as HTMLElement;
    const key = [...live.entries()].find(([, v]) => v.el === first)?.[0];
    if (key) drop(key);
    else first.remove();
  }
}

function drop(text: string): void {
  const entry = live.get(text);
  if (!entry) return;
  clearTimeout(entry.timer);
  entry.el.remove();
  live.delete(text);
}

/**
 * Runs a call and reports its failure as a toast; returns undefined on failure so callers can
 * carry on. Auth failures are left to the token prompt instead of a toast.
 */
export async function attempt<T>(action: string, fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await guarded(fn);
  } catch (err) {
    if (!isAuthError(err)) toast(describeError(action, err));
    return undefined;
  }
}
