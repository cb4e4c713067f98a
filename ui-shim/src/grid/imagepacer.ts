//! Paces thumbnail loads across frames. Pointing an <img> at a blob URL starts a resource load
//! that cost 0.6–0.7 ms of main-thread time each on a busy machine (measured in the grid: a
//! data: URL cost a little more), and a screen that comes into view holds some 70 of them: set
//! all at once they made the frame that showed them a long task. A few per frame fill a screen
//! in a handful of frames, top first, and cells a fast scroll has already passed are never
//! loaded at all.

const PER_FRAME = 8;

export class ImagePacer {
  private queue = new Map<HTMLImageElement, string>();
  private frame = 0;

  constructor(private readonly perFrame = PER_FRAME) {}

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
    if (!this.frame) this.frame = requestAnimationFrame(() => this.pump());
  }

  /** Forgets a load not started yet, and leaves what `img` shows as it is. */
  cancel(img: HTMLImageElement): void {
    this.queue.delete(img);
  }

  private pump(): void {
    this.frame = 0;
    let n = 0;
    for (const [img, url] of this.queue) {
      this.queue.delete(img);
      img.src = url;
      if (++n >= this.perFrame) break;
    }
    if (this.queue.size > 0) this.frame = requestAnimationFrame(() => this.pump());
  }
}
