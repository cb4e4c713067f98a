//! Restoring a run or the weights near a step: reads the run's checkpoints, asks before
//! replacing the model's weights, and reports what the server says it did.

import { h, fmtNum } from "../dom";
import { api } from "../api";
import { openModal } from "../dialog";
import { attempt, toast } from "../toast";
import { pointRestore, pointRestoreDetail, type PointRestore } from "./checkpoint";
import { shortHash } from "./runlabel";

/** What the Studio knows about a run's checkpoints. */
export interface RunCheckpoints {
  hash: string;
  /** The run's name, or its short hash when unnamed. */
  label: string;
  /** The latest saved step; negative when the run has none. */
  latest: number;
  /** Every saved step, ascending (empty from a server that does not list them). */
  steps: number[];
}

const LOST = "The model's current weights are replaced and training pauses; whatever was trained since the last saved checkpoint is lost.";

/** The checkpoints of run `hash`, or undefined when the run list cannot be read. A run the
 *  list does not know has no checkpoint the server could restore. */
export async function readCheckpoints(hash: string): Promise<RunCheckpoints | undefined> {
  try {
    const res = await api.listExperimentRuns({}, { timeoutMs: 5000 });
    const run = res.runs.find((r) => r.experimentHash === hash);
    return { hash, label: run?.experimentName || shortHash(hash), latest: run?.latestWeightStep ?? -1, steps: run?.checkpointSteps ?? [] };
  } catch {
    return undefined;
  }
}

/** The plot menu's choice: loads the weights saved nearest to `wanted`, once confirmed. */
export async function restoreNearPoint(run: RunCheckpoints, wanted: number, p: PointRestore = pointRestore(run.steps, run.latest, wanted)): Promise<boolean> {
  if (p.kind === "none") return false;
  const title = p.kind === "exact" ? `Restore the weights at step ${fmtNum(p.step)}?` : `Restore the weights nearest to step ${fmtNum(wanted)}?`;
  const ok = await confirmRestore(title, [pointRestoreDetail(p, wanted, run.label), LOST]);
  if (!ok) return false;
  const what = p.kind === "exact" ? `the weights at step ${fmtNum(p.step)}` : `the weights nearest to step ${fmtNum(wanted)}`;
  // The step confirmed, not the one clicked: the same checkpoint, and no room for the server
  // to pick another if one was saved meanwhile.
  return restore(`${run.hash}@@weights_step=${p.kind === "exact" ? p.step : wanted}`, what);
}

/** Restores run `run` from its latest checkpoint (weights, optimizer, data state and
 *  hyperparameters), once confirmed. */
export async function restoreRun(run: RunCheckpoints): Promise<boolean> {
  if (run.latest < 0) return false;
  const ok = await confirmRestore(`Restore run ${run.label}?`, [
    `This loads the latest checkpoint of run ${run.label}, saved at step ${fmtNum(run.latest)}: its weights, optimizer, data state and hyperparameters, and makes it the current run.`,
    LOST,
  ]);
  return ok && restore(run.hash, `run ${run.label}`);
}

/** Sends the restore; the success message is the server's own account of what it loaded. */
async function restore(target: string, what: string): Promise<boolean> {
  const res = await attempt(`Restoring ${what}`, () => api.restoreCheckpoint({ experimentHash: target }));
  if (!res) return false;
  if (!res.success) {
    toast(`Could not restore ${what}: ${res.message || "the server gave no reason"}`);
    return false;
  }
  toast(res.message || `Restored ${what}.`, "ok");
  return true;
}

/** A small modal that asks before a restore; resolves true for Restore. */
function confirmRestore(title: string, lines: string[]): Promise<boolean> {
  return new Promise((resolve) => {
    let answer = false;
    // Escape must close this dialog only, not the runs dialog under it: openModal listens on
    // the document, and a window listener in the capture phase runs before it.
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== "Escape") return;
      e.stopPropagation();
      e.preventDefault();
      modal.close();
    };
    const modal = openModal(title, () => {
      window.removeEventListener("keydown", onKey, true);
      resolve(answer);
    });
    window.addEventListener("keydown", onKey, true);
    modal.root.classList.add("confirm-restore");
    for (const line of lines) modal.body.append(h("p", { class: "confirm-text" }, line));
    const yes = h("button", { class: "btn danger", onclick: () => ((answer = true), modal.close()) }, "Restore");
    modal.footer.append(h("button", { class: "btn", onclick: () => modal.close() }, "Cancel"), yes);
    setTimeout(() => yes.focus(), 0);
  });
}
