//! A run's short label, for chart chips, tooltips and menus.

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
