//! Which saved checkpoint a restore loads, worked out the way the server does, and the words
//! that name it; no DOM here, so the rules are unit-tested.

import { fmtNum } from "../dom";

/** The saved step the server restores for `wanted`: the nearest one, ties going to the later
 *  step (backend/src/experiment/runs.rs `nearest`). */
export function nearestSaved(steps: readonly number[], wanted: number): number | undefined {
  let best: number | undefined;
  for (const s of steps) {
    if (best === undefined) best = s;
    else {
      const d = Math.abs(s - wanted);
      const bestD = Math.abs(best - wanted);
      if (d < bestD || (d === bestD && s > best)) best = s;
    }
  }
  return best;
}

/** What restoring the weights nearest to a step will load. ListExperimentRuns lists every saved
 *  step of a run (`checkpoint_steps`); a server that sends only the latest one (`latest`,
 *  negative: none) leaves the exact step below it to the server to pick. */
export type PointRestore =
  | { kind: "none" }
  | { kind: "exact"; step: number }
  | { kind: "nearest"; latest: number };

export function pointRestore(steps: readonly number[], latest: number, wanted: number): PointRestore {
  const exact = nearestSaved(steps, wanted);
  if (exact !== undefined) return { kind: "exact", step: exact };
  if (latest < 0) return { kind: "none" };
  // Every saved step is at or before the latest one, so past it the latest is the nearest.
  if (wanted >= latest) return { kind: "exact", step: latest };
  return { kind: "nearest", latest };
}

/** The menu item for restoring the weights nearest to `wanted`. */
export function pointRestoreLabel(p: PointRestore, wanted: number): string {
  switch (p.kind) {
    case "none":
      return "No saved checkpoint for this run yet: nothing to restore";
    case "exact":
      return p.step === wanted
        ? `Restore the checkpoint at step ${fmtNum(p.step)}…`
        : `Restore the checkpoint at step ${fmtNum(p.step)} (nearest to ${fmtNum(wanted)})…`;
    case "nearest":
      return `Restore the checkpoint nearest to step ${fmtNum(wanted)}…`;
  }
}

/** The confirmation's explanation of what restoring the weights nearest to `wanted` loads. */
export function pointRestoreDetail(p: PointRestore, wanted: number, run: string): string {
  if (p.kind === "exact") return `This loads the weights of run ${run} saved at step ${fmtNum(p.step)}.`;
  if (p.kind === "nearest") {
    return `This loads the weights of run ${run} saved nearest to step ${fmtNum(wanted)} (on a tie, the later step). ` +
      `Its latest checkpoint is at step ${fmtNum(p.latest)}; the server did not list the earlier ones, so its reply names the step it loaded.`;
  }
  return `Run ${run} has no saved checkpoint yet.`;
}

/** The runs list's words for a run's latest saved step. */
export function latestText(latest: number): string {
  return latest >= 0 ? `step ${fmtNum(latest)}` : "—";
}
