//! Selection of samples by id (ids survive re-sorting, indices do not), with the anchor and
//! focus indices that click, shift-click, drag and the arrow keys work from.

export class Selection {
  /** id -> origin, because edits must send each id's origin. */
  private items = new Map<string, string>();
  anchor = -1;
  focus = -1;

  get size(): number {
    return this.items.size;
  }

  has(id: string): boolean {
    return this.items.has(id);
  }

  ids(): string[] {
    return [...this.items.keys()];
  }

  origins(): string[] {
    return [...this.items.values()];
  }

  clear(): void {
    this.items.clear();
    this.anchor = -1;
    this.focus = -1;
  }

  /** Plain click: only this sample. */
  only(index: number, id: string, origin: string): void {
    this.items.clear();
    this.items.set(id, origin);
    this.anchor = index;
    this.focus = index;
  }

  /** Ctrl/Cmd-click: flip one sample, keep the rest. */
  toggle(index: number, id: string, origin: string): void {
    if (this.items.has(id)) this.items.delete(id);
    else this.items.set(id, origin);
    this.anchor = index;
    this.focus = index;
  }

  /**
   * Shift-click or drag: the range from the anchor to `index`. `lookup` returns the sample at
   * an index when it is loaded; unloaded rows cannot be named, so they are skipped.
   */
  range(index: number, lookup: (i: number) => { id: string; origin: string } | undefined, additive = false): void {
    if (this.anchor < 0) this.anchor = index;
    if (!additive) this.items.clear();
    const [lo, hi] = this.anchor <= index ? [this.anchor, index] : [index, this.anchor];
    for (let i = lo; i <= hi; i++) {
      const s = lookup(i);
      if (s) this.items.set(s.id, s.origin);
    }
    this.focus = index;
  }
}

/** The index the arrow keys move focus to, in a grid of `cols` columns and `total` cells. */
export function moveFocus(focus: number, key: string, cols: number, total: number, pageRows = 1): number {
  if (total <= 0) return -1;
  const f = focus < 0 ? 0 : focus;
  let next = f;
  switch (key) {
    case "ArrowLeft":
      next = f - 1;
      break;
    case "ArrowRight":
      next = f + 1;
      break;
    case "ArrowUp":
      next = f - cols;
      break;
    case "ArrowDown":
      next = f + cols;
      break;
    case "PageUp":
      next = f - cols * pageRows;
      break;
    case "PageDown":
      next = f + cols * pageRows;
      break;
    case "Home":
      next = 0;
      break;
    case "End":
      next = total - 1;
      break;
    default:
      return f;
  }
  return Math.max(0, Math.min(total - 1, next));
}
