//! The hyperparameter editor, built from the server's descriptors: numbers get numeric inputs,
//! text gets text inputs; an edit sends only the matching HyperParameters field.

import { h, clear, fmtNum } from "../dom";
import { api, describeError, guarded, isAuthError } from "../api";
import { toast } from "../toast";
import { bus, state } from "../store";
import type { HyperParameterDesc } from "../gen/experiment_service_pb.js";
import { buildEdit, EDITABLE } from "./hpedit";
import { beat } from "./conn";

export class HyperParams {
  readonly el: HTMLElement;
  private table: HTMLElement;
  private inputs = new Map<string, HTMLInputElement>();

  constructor() {
    this.table = h("div", { class: "hp-table" });
    this.el = h("section", { class: "panel hp" }, h("div", { class: "panel-title" }, "Hyperparameters"), this.table);
    bus.on("hps", (hps) => this.render(hps));
  }

  private render(hps: HyperParameterDesc[]): void {
    const names = hps.map((d) => d.name).join("|");
    if (this.table.dataset.names !== names) {
      this.table.dataset.names = names;
      clear(this.table);
      this.inputs.clear();
      for (const d of hps) this.table.append(this.row(d));
    }
    for (const d of hps) {
      const input = this.inputs.get(d.name);
      if (!input || document.activeElement === input || input.dataset.dirty) continue;
      input.value = valueText(d);
    }
  }

  private row(d: HyperParameterDesc): HTMLElement {
    const editable = d.name in EDITABLE;
    const input = h("input", {
      class: "input hp-input",
      type: d.type === "number" && editable ? "number" : "text",
      step: "any",
      readonly: !editable,
      "data-hp": d.name,
      "aria-label": d.label || d.name,
      title: editable ? "Enter to apply, Esc to undo" : "Read-only: reported by the server",
    });
    input.value = valueText(d);
    input.addEventListener("input", () => (input.dataset.dirty = "1"));
    input.addEventListener("keydown", (e) => {
      if (e.key === "Enter") void this.apply(d.name, input);
      if (e.key === "Escape") {
        delete input.dataset.dirty;
        const cur = state.hps.find((x) => x.name === d.name);
        if (cur) input.value = valueText(cur);
        input.blur();
      }
    });
    input.addEventListener("blur", () => {
      if (input.dataset.dirty) void this.apply(d.name, input);
    });
    this.inputs.set(d.name, input);
    return h("label", { class: `hp-row${editable ? "" : " ro"}` }, h("span", { class: "hp-name", title: d.name }, d.label || d.name), input);
  }

  private async apply(name: string, input: HTMLInputElement): Promise<void> {
    delete input.dataset.dirty;
    const edit = buildEdit(name, input.value, input.validity.badInput);
    if ("error" in edit) {
      toast(`${edit.error} ${this.putBack(name, input)}`);
      return;
    }
    let res;
    try {
      res = await guarded(() => api.experimentCommand({ hyperParameterChange: { hyperParameters: edit.hp } }));
    } catch (err) {
      // Rejected (INVALID_ARGUMENT) or not sent: the field must not suggest that the value took.
      const back = this.putBack(name, input);
      if (!isAuthError(err)) toast(`${sentence(describeError(`Setting ${name}`, err))} ${back}`);
      return;
    }
    if (!res.success) toast(`${name} was not changed: ${sentence(res.message || "the server refused the value")} ${this.putBack(name, input)}`);
    else toast(`${name} = ${input.value}`, "ok");
    await beat();
  }

  /** Puts the field back to the value in force, after a rejected edit; returns the sentence that
   *  tells the person so. */
  private putBack(name: string, input: HTMLInputElement): string {
    const cur = state.hps.find((x) => x.name === name);
    if (!cur) return "";
    const text = valueText(cur);
    input.value = text;
    return `It is back to ${text}.`;
  }
}

/** `text` as one sentence ending in a single full stop. */
function sentence(text: string): string {
  return `${text.replace(/[.\s]+$/, "")}.`;
}

const FLAGS = new Set(["is_training", "auditor_mode", "evaluation_mode"]);

function valueText(d: HyperParameterDesc): string {
  if (FLAGS.has(d.name) && d.stringValue === undefined) return (d.numericalValue ?? 0) > 0.5 ? "yes" : "no";
  if (d.stringValue !== undefined) return d.stringValue;
  // float32 on the wire: 0.05 arrives as 0.0500000007, so show the digits a person typed.
  if (d.numericalValue !== undefined) return d.type === "number" ? String(Number(d.numericalValue.toPrecision(6))) : fmtNum(d.numericalValue);
  return "";
}
