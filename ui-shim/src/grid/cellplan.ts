//! Which cells a frame moves once the grid has its skeleton (see skeleton.ts): a cell comes to a
//! place on screen only when that place's sample can be drawn, and until then the skeleton on
//! the grid's background shows there. Cells that scrolled out stay parked where they were, still
//! showing their samples, until a place on screen needs them.
//!
//! Without this, each end of a fling (and each leap of half a screen) moved a screen of cells to
//! places whose samples were not loaded and turned them to "loading" in one frame: 31–47 ms at a
//! fling's start and up to 45 ms at its end, traced on a 2-core machine.

export interface PlanInput {
  /** The indices that have a cell now, and whether each shows its sample (is filled). */
  cells: Iterable<[index: number, filled: boolean]>;
  /** The places on screen (with overscan), first to last. */
  first: number;
  last: number;
  /** The samples in the view: a cell at or past it has no sample to show. */
  total: number;
  /** Whether the sample at an index is loaded. */
  ready: (index: number) => boolean;
  /** How many cells this frame may fill (see FillBudget). */
  budget: number;
}

export interface Plan {
  /** Cells to take down (back to the pool): past the end of the view, on screen with no sample
   *  to show (the skeleton shows there instead), or parked without one. */
  release: number[];
  /** Places on screen to fill this frame, top first: each takes the cell it has, or a donor. */
  fill: number[];
  /** Parked cells to move into `fill`'s places without one, farthest from the screen first. */
  donors: number[];
  /** Some places whose samples are loaded wait for the next frame's budget. */
  deferred: boolean;
}

export function planCells({ cells, first, last, total, ready, budget }: PlanInput): Plan {
  const release: number[] = [];
  const parked: number[] = [];
  const onScreen = new Map<number, boolean>();
  const end = Math.min(last, total - 1);
  for (const [i, filled] of cells) {
    if (i >= total) release.push(i);
    else if (i >= first && i <= end) {
      // A cell whose sample left the cache (or never came) gives way to the skeleton.
      if (ready(i)) onScreen.set(i, filled);
      else release.push(i);
    } else if (filled) parked.push(i);
    // A parked cell showing "loading" would stay so: nothing would fill it off screen.
    else release.push(i);
  }
  const fill: number[] = [];
  let deferred = false;
  let needDonors = 0;
  for (let i = first; i <= end; i++) {
    const filled = onScreen.get(i);
    if (filled === true || (filled === undefined && !ready(i))) continue;
    if (fill.length >= budget) {
      deferred = true;
      break;
    }
    fill.push(i);
    if (filled === undefined) needDonors++;
  }
  const middle = (first + end) / 2;
  parked.sort((a, b) => Math.abs(b - middle) - Math.abs(a - middle));
  return { release, fill, donors: parked.slice(0, needDonors), deferred };
}
