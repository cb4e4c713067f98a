//! Paces thumbnail loads across frames. Pointing an <img> at a thumbnail's data: URL starts a
//! resource load that cost 0.6–0.9 ms of main-thread time each on a busy 2-core machine (traced
//! in the grid; see wire.ts), and a screen that comes into view holds some 70 of them: set
//! all at once they made the frame that showed them a long task. A few per frame, as many as the
//! measured cost lets fit in a few milliseconds, fill a screen in a handful of frames, top
//! first, and cells a fast scroll has already passed are never loaded at all.
//!
//! Each frame's loads start in a task of their own, right after the frame: started from the
//! frame's callbacks, their loader work ran inside the frame's task (6 loads once took 22 ms
//! there, in a 53 ms task, traced on a busy 2-core machine), on top of its style, layout and
//! paint.

/** Main-thread time a frame's image loads may take, as measured: about 6 loads on a busy 2-core
 *  machine (0.6–0.7 ms each), the ceiling of 12 on a fast one. */
const FRAME_BUDGET_MS = 4;
const MIN_PER_FRAME = 2;
const MAX_PER_FRAME = 12;
/** The cost of one load assumed until one is measured (ms). */
const FIRST_GUESS_MS = 0.5;

export class ImagePacer {
  private queue = new Map<HTMLImageElement, string>();
  /** A batch of loads is due. */
  private waiting = false;
  /** Main-thread time per image load, a moving average of what the frames measured (ms). */
  private costMs = FIRST_GUESS_MS;

  /** `later` runs the next batch of loads: by default in a task of its own after the next frame. */
  constructor(
    private readonly budgetMs = FRAME_BUDGET_MS,
    private readonly now: () => number = () => performance.now(),
    private readonly later: (pump: () => void) => void = afterNextFrame,
  ) {}

  /** How many loads the next frame starts. */
  get perFrame(): number {
    return Math.max(MIN_PER_FRAME, Math.min(MAX_PER_FRAME, Math.floor(this.budgetMs / this.costMs)));
  }

  /** Shows `url` in `img` within a few frames; with no URL, clears the image at once. */
  set(img: HTMLImageElement, url: string | undefined): void {
    this.queue.delete(img);
    if (!url) {
      img.removeAttribute("src");
      return;
    }
    if (img.getAttribute("src") === url) return;
    // Until its turn comes the cell shows no image rather than the previous sample's.
    img.removeAttribute("src");
    this.queue.set(img, url);
    this.wake();
  }

  /** Forgets a load not started yet, and leaves what `img` shows as it is. */
  cancel(img: HTMLImageElement): void {
    this.queue.delete(img);
  }

  private wake(): void {
    if (this.waiting) return;
    this.waiting = true;
    this.later(() => this.pump());
  }

  private pump(): void {
    this.waiting = false;
    const limit = this.perFrame;
    const started = this.now();
    let n = 0;
    for (const [img, url] of this.queue) {
      this.queue.delete(img);
      img.src = url;
      if (++n >= limit) break;
    }
    // Most of a load's cost is the image loader's own microtask, queued by each `src` above:
    // this one runs after them, so it measures the whole.
    if (n > 0) {
      queueMicrotask(() => {
        const each = (this.now() - started) / n;
        this.costMs = 0.7 * this.costMs + 0.3 * each;
      });
    }
    if (this.queue.size > 0) this.wake();
  }
}

function afterNextFrame(pump: () => void): void {
  requestAnimationFrame(() => setTimeout(pump, 0));
}
