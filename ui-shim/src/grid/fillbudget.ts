//! How many "loading" cells the grid fills in per frame: fewer when the frames of a fill-in run
//! long (a busy machine), more when they keep time, within bounds. Each fill-in starts from the
//! first guess again: a quick fill-in ends at the ceiling (16), and carried over, that made the
//! first frame after the next scroll, the dearest of a fill-in, fill 16 cells.

/** A frame that came this long after the previous filling frame ran long: halve the fills. */
const SLOW_FRAME_MS = 34;
/** A frame that came this soon after the previous filling frame kept time: fill a few more. */
const FAST_FRAME_MS = 20;
/** Frames further apart than this are not one fill-in: the gap says nothing of their cost. */
const SAME_FILL_IN_MS = 250;
const STEP_UP = 4;

export class FillBudget {
  private perFrame: number;
  /** The last filling frame, until the frame after it has judged it. */
  private lastFillFrame = -Infinity;
  /** The last filling frame, kept: frames further from it start a new fill-in. */
  private lastFilled = -Infinity;

  /** The fills of a fill-in's first frame, before any of its frames was measured. */
  private readonly first: number;

  /** `first`: the fills of a fill-in's first frame; `min` and `max` bound them all. */
  constructor(
    first = 8,
    private readonly min = 4,
    private readonly max = 16,
  ) {
    this.first = Math.min(max, Math.max(min, first));
    this.perFrame = this.first;
  }

  /** The fills the frame starting at `frameStart` (its animation-frame time) may do. The time
   *  since the last frame that filled cells is what that frame cost: its script, style, layout
   *  and paint together. */
  take(frameStart: number): number {
    if (frameStart - this.lastFilled >= SAME_FILL_IN_MS) this.perFrame = this.first;
    const gap = frameStart - this.lastFillFrame;
    // Each filling frame is judged once, by the frame right after it.
    this.lastFillFrame = -Infinity;
    if (gap < SAME_FILL_IN_MS) {
      if (gap > SLOW_FRAME_MS) this.perFrame = Math.max(this.min, Math.floor(this.perFrame / 2));
      else if (gap < FAST_FRAME_MS) this.perFrame = Math.min(this.max, this.perFrame + STEP_UP);
    }
    return this.perFrame;
  }

  /** The frame starting at `frameStart` filled cells: the next frame measures it. */
  filled(frameStart: number): void {
    this.lastFillFrame = frameStart;
    this.lastFilled = frameStart;
  }
}
