//! The hyperparameter editor, built from the server's descriptors: numbers get numeric inputs,
//! text gets text inputs; an edit sends only the matching HyperParameters field.

import { h, clear, fmtNum } from "../dom";
import { api } from "../api";
import { attempt, toast } from "../toast";
import { bus, state } from "../store";
import type { HyperParameterDesc, HyperParameters } from "../gen/experiment_service_pb.js";
import { beat } from "./conn";

type Field = keyof Omit<HyperParameters, "$typeName" | "$unknown">;

/** Descriptor name -> the HyperParameters field that changes it, and whether it is an int. */
const EDITABLE: Record<string, { field: Field; int: boolean; text?: boolean }> = {
  experiment_name: { field: "experimentName", int: false, text: true },
  training_steps_to_do: { field: "trainingStepsToDo", int: true },
  training_left: { field: "trainingStepsToDo", int: true },
  learning_rate: { field: "learningRate", int: false },
  lr: { field: "learningRate", int: false },
  batch_size: { field: "batchSize", int: true },
  train_batch_size: { field: "trainBatchSize", int: true },
  val_batch_size: { field: "valBatchSize", int: true },
  test_batch_size: { field: "testBatchSize", int: true },
  full_eval_frequency: { field: "fullEvalFrequency", int: true },
  eval_frequency: { field: "fullEvalFrequency", int: true },
  checkpont_frequency: { field: "checkpontFrequency", int: true },
  checkpoint_frequency: { field: "checkpontFrequency", int: true },
};

/** Builds the partial HyperParameters for one edit, or explains why the value is not valid. */
export function buildEdit(name: string, raw: string): { hp: Partial<HyperParameters> } | { error: string } {
  const spec = EDITABLE[name];
  if (!spec) return { error: `${name} cannot be changed from the Studio.` };
  if (spec.text) {
    if (raw.trim() === "") return { error: `${name} cannot be empty.` };
    return { hp: { [spec.field]: raw.trim() } };
  }
  const v = Number(raw);
  if (raw.trim() === "" || !Number.isFinite(v)) return { error: `${name} must be a number, got “${raw}”.` };
  if (spec.int && !Number.isInteger(v)) return { error: `${name} must be a whole number, got ${raw}.` };
  if (v < 0) return { error: `${name} cannot be negative.` };
  if (spec.field === "learningRate" && v === 0) return { error: "learning_rate must be greater than 0." };
  return { hp: { [spec.field]: v } };
}

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
      type: d.type === "number" ? "number" : "text",
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
    const edit = buildEdit(name, input.value);
    if ("error" in edit) {
      toast(edit.error);
      return;
    }
    const res = await attempt(`Setting ${name}`, () => api.experimentCommand({ hyperParameterChange: { hyperParameters: edit.hp } }));
    if (!res) return;
    if (!res.success) toast(`${name} was not changed: ${res.message || "the server refused the value"}`);
    else toast(`${name} = ${input.value}`, "ok");
    await beat();
  }
}

function valueText(d: HyperParameterDesc): string {
  if (d.stringValue !== undefined) return d.stringValue;
  if (d.numericalValue !== undefined) return d.type === "number" ? String(Number(d.numericalValue.toPrecision(7))) : fmtNum(d.numericalValue);
  return "";
}
