//! The header bar: connection dot and address, run name, model age, pause/resume, the
//! train/audit switch, and the buttons for evaluation and the run list.

import { h, fmtNum } from "../dom";
import { api, serverAddress } from "../api";
import { attempt, toast } from "../toast";
import { bus, state, trainingOn } from "../store";
import { askToken, beat } from "./conn";
import { openEvaluation, openRuns } from "./dialogs";

export class Header {
  readonly el: HTMLElement;
  private dot: HTMLSpanElement;
  private connText: HTMLSpanElement;
  private run: HTMLSpanElement;
  private age: HTMLSpanElement;
  private playBtn: HTMLButtonElement;
  private modeTrain: HTMLButtonElement;
  private modeAudit: HTMLButtonElement;
  private busy = false;
  onTrainingChange: () => void = () => {};

  constructor() {
    this.dot = h("span", { class: "dot connecting" });
    this.connText = h("span", { class: "conn-text" }, "connecting");
    this.run = h("span", { class: "run-name" }, "—");
    this.age = h("span", { class: "age" }, "");
    this.playBtn = h("button", { class: "btn play", "data-action": "toggle-training", disabled: true, title: "Pause or resume training (Space)" }, "Resume");
    this.playBtn.addEventListener("click", () => void this.toggle());
    this.modeTrain = h("button", { class: "seg-btn", "data-mode": "train" }, "Train");
    this.modeAudit = h("button", { class: "seg-btn", "data-mode": "audit", title: "Audit: forward passes only, weights frozen" }, "Audit");
    this.modeTrain.addEventListener("click", () => void this.setMode(false));
    this.modeAudit.addEventListener("click", () => void this.setMode(true));
    this.el = h(
      "header",
      { class: "topbar" },
      h("div", { class: "brand" }, h("span", { class: "logo" }, "◆"), "WeightsLab", h("span", { class: "brand-sub" }, "Studio")),
      h(
        "div",
        {
          class: "conn",
          title: `Server: ${serverAddress}`,
          // With the token prompt closed, the connection badge ("token needed") opens it again.
          onclick: () => {
            if (state.conn === "auth") void askToken();
          },
        },
        this.dot,
        this.connText,
        h("span", { class: "addr" }, serverAddress),
      ),
      h("div", { class: "run" }, h("span", { class: "muted" }, "run"), this.run, h("span", { class: "muted" }, "age"), this.age),
      h("div", { class: "spacer" }),
      this.playBtn,
      h("div", { class: "seg", role: "group", "aria-label": "Mode" }, this.modeTrain, this.modeAudit),
      h("button", { class: "btn", onclick: () => openEvaluation() }, "Evaluate…"),
      h("button", { class: "btn", onclick: () => openRuns() }, "Runs & checkpoints"),
    );
    bus.on("conn", () => this.render());
    bus.on("hps", () => this.render());
    document.addEventListener("keydown", (e) => {
      const t = e.target as HTMLElement;
      if (e.key === " " && !(t instanceof HTMLInputElement || t instanceof HTMLTextAreaElement || t instanceof HTMLButtonElement || t instanceof HTMLSelectElement) && !document.querySelector(".modal-backdrop")) {
        e.preventDefault();
        void this.toggle();
      }
    });
    this.render();
  }

  private render(): void {
    const c = state.conn;
    this.dot.className = `dot ${c}`;
    const on = trainingOn(state);
    this.connText.textContent = c === "online" ? (state.evaluating ? "evaluating" : on ? "training" : "paused") : c === "auth" ? "token needed" : c;
    this.dot.classList.toggle("training", c === "online" && on);
    this.run.textContent = state.runName || (state.lastHash ? state.lastHash.slice(0, 8) : "—");
    this.age.textContent = fmtNum(state.modelAge);
    this.playBtn.disabled = c !== "online" || this.busy;
    this.playBtn.textContent = on ? "❚❚ Pause" : "▶ Resume";
    this.playBtn.classList.toggle("running", on);
    this.playBtn.dataset.training = String(state.training);
    this.modeTrain.classList.toggle("on", !state.auditor);
    this.modeAudit.classList.toggle("on", state.auditor);
    document.body.dataset.training = String(state.training);
    document.body.dataset.conn = c;
  }

  async toggle(): Promise<void> {
    if (state.conn !== "online" || this.busy) return;
    const resume = !trainingOn(state);
    // A pause during an evaluation keeps training off after it: the next beat must not take
    // the evaluation for one between steps again.
    if (!resume) state.evaluating = false;
    this.busy = true;
    this.render();
    const hyperParameters = resume ? { isTraining: true, auditorMode: state.auditor } : { isTraining: false };
    const res = await attempt(resume ? "Resuming training" : "Pausing training", () =>
      api.experimentCommand({ hyperParameterChange: { hyperParameters } }),
    );
    if (res && !res.success) toast(`${resume ? "Resume" : "Pause"} was refused: ${res.message || "no reason given"}`);
    await beat();
    this.busy = false;
    this.render();
    this.onTrainingChange();
  }

  private async setMode(audit: boolean): Promise<void> {
    if (state.auditor === audit) return;
    const res = await attempt(`Switching to ${audit ? "audit" : "train"} mode`, () =>
      api.experimentCommand({ hyperParameterChange: { hyperParameters: { auditorMode: audit } } }),
    );
    if (res && !res.success) toast(`The mode was not changed: ${res.message || "no reason given"}`);
    else if (res) toast(audit ? "Audit mode: the model sees data but does not learn." : "Train mode: the model learns again.", "info");
    await beat();
  }
}
