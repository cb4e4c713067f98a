//! Hyperparameter edits: which descriptor names are editable, and the partial
//! HyperParameters message one edit sends, with the reason when a value is not valid.

import type { HyperParameters } from "../gen/experiment_service_pb.js";

type Field = keyof Omit<HyperParameters, "$typeName" | "$unknown">;

/** Descriptor name -> the HyperParameters field that changes it, and whether it is an int. */
export const EDITABLE: Record<string, { field: Field; int: boolean; text?: boolean }> = {
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

/** Builds the partial HyperParameters for one edit, or explains why the value is not valid.
 *  `badInput` is a number input's validity.badInput: the browser then reports its value as ""
 *  whatever was typed, so the text cannot be quoted back. */
export function buildEdit(name: string, raw: string, badInput = false): { hp: Partial<HyperParameters> } | { error: string } {
  const spec = EDITABLE[name];
  if (!spec) return { error: `${name} cannot be changed from the Studio.` };
  if (spec.text) {
    if (raw.trim() === "") return { error: `${name} cannot be empty.` };
    return { hp: { [spec.field]: raw.trim() } };
  }
  const v = Number(raw);
  if (badInput || raw.trim() === "") return { error: `${name} must be a number.` };
  if (!Number.isFinite(v)) return { error: `${name} must be a number, got “${raw.trim()}”.` };
  if (spec.int && !Number.isInteger(v)) return { error: `${name} must be a whole number, got ${raw}.` };
  if (v < 0) return { error: `${name} cannot be negative.` };
  if (spec.field === "learningRate" && v === 0) return { error: "learning_rate must be greater than 0." };
  return { hp: { [spec.field]: v } };
}
