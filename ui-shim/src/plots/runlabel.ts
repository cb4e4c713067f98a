//! A run's short label and colour, for chart chips, tooltips and menus.

/** A WeightsLab experiment hash: 8 hex of the hyperparameters, 8 of the architecture and 8 of
 *  the data state. */
const EXPERIMENT_HASH = /^[0-9a-f]{24}$/i;

/** The run's hash, short. Of an experiment hash, the first 4 hex of each of its three parts: a
 *  discard starts a run that differs from the one before only in its last part, and the first 8
 *  hex alone read the same for both. Any other hash: its first 8 characters. */
export function shortHash(hash: string): string {
  if (EXPERIMENT_HASH.test(hash)) return `${hash.slice(0, 4)}·${hash.slice(8, 12)}·${hash.slice(16, 20)}`;
  return hash.length > 10 ? hash.slice(0, 8) : hash || "run";
}

/** Colours of the runs' lines, told apart on the dark background. */
export const RUN_COLORS = ["#5b8cff", "#3fc98f", "#f0a04b", "#d76bd9", "#5fd0e0", "#e06464", "#c9c45a"];

/** A run's colour, from its hash, so that it keeps its colour across reloads and whatever
 *  order the runs come in; a colour another run already has (`used`) passes to the next free
 *  one, while one is free. */
export function runColor(hash: string, used: ReadonlySet<string>): string {
  // FNV-1a over the hash's characters.
  let h = 0x811c9dc5;
  for (let i = 0; i < hash.length; i++) h = Math.imul(h ^ hash.charCodeAt(i), 0x01000193) >>> 0;
  const start = h % RUN_COLORS.length;
  for (let k = 0; k < RUN_COLORS.length; k++) {
    const c = RUN_COLORS[(start + k) % RUN_COLORS.length];
    if (!used.has(c)) return c;
  }
  return RUN_COLORS[start];
}
