//! The evaluation dialog (split, tags, progress bar, cancel) and the run / checkpoint list.

import { h, clear, fmtNum } from "../dom";
import { api } from "../api";
import { openModal, type Modal } from "../dialog";
import { attempt, toast } from "../toast";
import { evaluationActive, state } from "../store";
import { restoreRun, type RunCheckpoints } from "../plots/restore";
import { latestText } from "../plots/checkpoint";
import { shortHash } from "../plots/runlabel";


export async function openEvaluation(): Promise<void> {
  const modal = openModal("Run an evaluation");
  const split = h("select", { class: "select wide", "aria-label": "Split" });
  const tags = h("input", { class: "input wide", placeholder: "only samples with these tags (comma-separated)", disabled: true });
  const full = h("input", { type: "checkbox", checked: true });
  full.addEventListener("change", () => (tags.disabled = full.checked));
  const bar = h("div", { class: "progress-fill" });
  const progressText = h("div", { class: "muted small" }, "");
  const progress = h("div", { class: "progress" }, bar);
  const runBtn = h("button", { class: "btn primary" }, "Evaluate");
  const cancelBtn = h("button", { class: "btn danger", disabled: true }, "Cancel evaluation");
  modal.body.append(
    h("label", { class: "field-label" }, "Split"),
    split,
    h("label", { class: "check" }, full, " Whole split"),
    tags,
    progress,
    progressText,
  );
  modal.footer.append(h("button", { class: "btn", onclick: () => modal.close() }, "Close"), cancelBtn, runBtn);
  runBtn.disabled = true;
  const names = await fillSplits(split, progressText);
  // Without the server's split names there is nothing to evaluate: Evaluate stays disabled.
  const canRun = names.length > 0;
  runBtn.disabled = !canRun;

  let polling = false;
  const show = (status: string, current: number, total: number, msg: string) => {
    const pct = total > 0 ? Math.min(100, (100 * current) / total) : status === "done" ? 100 : 0;
    bar.style.width = `${pct}%`;
    progress.classList.toggle("indeterminate", total === 0 && evaluationActive(status));
    progressText.textContent = `${status}${total > 0 ? ` (${current}/${total})` : ""}${msg ? ` — ${msg}` : ""}`;
  };
  const poll = async () => {
    if (polling) return;
    polling = true;
    runBtn.disabled = true;
    cancelBtn.disabled = false;
    for (;;) {
      if (!modal.root.isConnected) break;
      try {
        const st = await api.getEvaluationStatus({});
        show(st.status || "idle", st.current, st.total, st.error || st.message);
        if (!evaluationActive(st.status)) {
          if (st.status === "error" || st.status === "canceled") toast(`Evaluation ${st.status}: ${st.error || st.message || "no detail"}`, st.status === "error" ? "error" : "info");
          else if (st.status === "done") toast(`Evaluation of ${st.splitName || split.value} finished.`, "ok");
          break;
        }
      } catch {
        // A missed status poll is retried; the dialog keeps the last known progress.
      }
      await new Promise((r) => setTimeout(r, 1200));
    }
    polling = false;
    runBtn.disabled = !canRun;
    cancelBtn.disabled = true;
  };
  runBtn.addEventListener("click", async () => {
    const tagList = full.checked ? [] : tags.value.split(",").map((t) => t.trim()).filter(Boolean);
    const res = await attempt("Starting the evaluation", () => api.triggerEvaluation({ splitName: split.value, useFullSet: full.checked, tags: tagList }));
    if (!res) return;
    if (!res.success) {
      progressText.textContent = res.message || "The server did not start the evaluation.";
      return;
    }
    show("requested", 0, 0, res.message);
    void poll();
  });
  cancelBtn.addEventListener("click", async () => {
    const res = await attempt("Canceling the evaluation", () => api.cancelEvaluation({ reason: "Canceled by user from Studio" }));
    if (res && !res.success) toast(`The evaluation was not canceled: ${res.message}`);
  });
  // An evaluation started elsewhere (or before a reload) shows its progress straight away.
  const st = await attempt("Reading the evaluation status", () => api.getEvaluationStatus({}));
  if (st && evaluationActive(st.status)) void poll();
}

/** Lists the server's splits in `split`, preferring a validation or test split; when they
 *  cannot be read, says so in `note` instead of offering names the server may not have. */
async function fillSplits(split: HTMLSelectElement, note: HTMLElement): Promise<string[]> {
  const splits = await attempt("Reading the data splits", () => api.getDataSplits({}));
  const names = (splits?.splitNames ?? []).filter((s) => s && s !== "none");
  for (const n of names) split.append(h("option", { value: n }, n));
  const preferred = names.find((n) => /val|test|eval/i.test(n));
  if (preferred) split.value = preferred;
  if (names.length === 0) {
    split.disabled = true;
    split.append(h("option", { value: "" }, splits ? "no splits" : "splits unknown"));
    note.textContent = splits
      ? "The server lists no data split to evaluate."
      : "The data splits could not be read from the server, so there is nothing to evaluate yet. Close this dialog and open it again once the server is connected.";
  }
  return names;
}

export async function openRuns(): Promise<void> {
  const modal = openModal("Runs & checkpoints");
  const list = h("div", { class: "runs" }, h("div", { class: "muted" }, "Loading…"));
  modal.body.append(list);
  modal.footer.append(h("button", { class: "btn", onclick: () => modal.close() }, "Close"));
  modal.root.querySelector(".modal")?.classList.add("wide");
  const res = await attempt("Listing the runs", () => api.listExperimentRuns({}));
  clear(list);
  if (!res) {
    list.append(h("div", { class: "muted" }, "The run list is not available."));
    return;
  }
  if (res.runs.length === 0) list.append(h("div", { class: "muted" }, "No runs recorded yet."));
  const runs = [...res.runs].sort((a, b) => Number(b.isCurrent) - Number(a.isCurrent));
  for (const r of runs) {
    list.append(
      h(
        "div",
        { class: `run-row${r.isCurrent ? " current" : ""}` },
        h(
          "div",
          { class: "run-main" },
          h("div", { class: "run-title" }, r.experimentName || shortHash(r.experimentHash), r.isCurrent ? h("span", { class: "pill" }, "current") : null),
          h("div", { class: "muted small mono" }, `${r.experimentHash} · created ${r.created || "?"} · last used ${r.lastUsed || "?"}`),
          r.notes ? h("div", { class: "small" }, r.notes) : null,
        ),
        h("div", { class: "run-step" }, h("span", { class: "muted small" }, "latest weights"), h("b", {}, latestText(r.latestWeightStep))),
        restoreButton({ hash: r.experimentHash, label: r.experimentName || shortHash(r.experimentHash), latest: r.latestWeightStep, steps: r.checkpointSteps }, modal),
      ),
    );
  }
}

/** A run's Restore button: disabled, with the reason as its title, when there is nothing to
 *  restore or no server; the dialog closes only once the server has restored the run. */
function restoreButton(run: RunCheckpoints, modal: Modal): HTMLButtonElement {
  const why = state.conn !== "online" ? "The server is not connected." : run.latest < 0 ? "This run has no saved checkpoint yet: there is nothing to restore." : "";
  const btn = h("button", { class: "btn", disabled: why !== "", title: why || `Restore run ${run.label} from its checkpoint at step ${fmtNum(run.latest)}` }, "Restore");
  btn.addEventListener("click", async () => {
    btn.disabled = true;
    const restored = await restoreRun(run);
    if (restored) modal.close();
    else btn.disabled = false;
  });
  return btn;
}
