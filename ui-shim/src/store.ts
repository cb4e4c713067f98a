//! Shared application state (connection, training, hyperparameters, view counts) and the
//! events the panels use to talk to each other.

import { Emitter } from "./events";
import type { HyperParameterDesc } from "./gen/experiment_service_pb.js";
import type { Sample } from "./grid/records";

export type ConnState = "connecting" | "online" | "offline" | "auth";

export interface Counts {
  all: number;
  inLoop: number;
  discarded: number;
}

export interface State {
  conn: ConnState;
  training: boolean;
  /** An evaluation runs between training steps: the server reports training as off meanwhile
   *  (an evaluation pauses it), and training goes on when it ends. */
  evaluating: boolean;
  auditor: boolean;
  runName: string;
  lastHash: string;
  modelAge: number;
  hps: HyperParameterDesc[];
  counts: Counts;
  tags: string[];
  query: string;
}

export const state: State = {
  conn: "connecting",
  training: false,
  evaluating: false,
  auditor: false,
  runName: "",
  lastHash: "",
  modelAge: 0,
  hps: [],
  counts: { all: 0, inLoop: 0, discarded: 0 },
  tags: [],
  query: "",
};

export const bus = new Emitter<{
  conn: ConnState;
  hps: HyperParameterDesc[];
  counts: Counts;
  /** The grid's view changed (query, sort, reset): reload from the top. */
  view: void;
  /** The sample to show in the detail panel (null clears it). */
  focus: Sample | null;
  /** Selection size changed. */
  selection: number;
  /** Samples were edited: counts and the detail panel may need a refresh. */
  edited: void;
  /** The grid started (true) or stopped (false) scrolling: other panels hold costly redraws. */
  scrolling: boolean;
  /** The grid showed its first thumbnail (panels that can wait start drawing after it). */
  painted: void;
  /** After a scroll stopped, every cell on screen has its sample and thumbnail. */
  shown: void;
}>();

/** How long the panels that can wait wait for the grid's first paint when it cannot paint. */
const FIRST_PAINT_WAIT_MS = 1500;

/** Resolves once the grid has painted its first thumbnails, or after FIRST_PAINT_WAIT_MS: the
 *  other start-up calls and the first charts come after it, so they do not compete with the
 *  first screen of samples for the main thread. */
export const gridPainted: Promise<void> = new Promise((resolve) => {
  const off = bus.on("painted", () => {
    off();
    resolve();
  });
  setTimeout(resolve, FIRST_PAINT_WAIT_MS);
});

/** GetEvaluationStatus states that mean no evaluation is running. */
const EVAL_IDLE = new Set(["", "idle", "done", "canceled", "error"]);

export function evaluationActive(status: string): boolean {
  return !EVAL_IDLE.has(status);
}

/** Training is on, or only waits for an evaluation it started (what the header shows). */
export function trainingOn(s: Pick<State, "training" | "evaluating">): boolean {
  return s.training || s.evaluating;
}

/** Whether, after a beat that read `training`, the Studio should see an evaluation between
 *  steps: training was on before (and the person did not pause it meanwhile), is reported off
 *  now, and an evaluation is running. */
export function evaluatingBetweenSteps(wasOn: boolean, training: boolean, evalStatus: string | undefined): boolean {
  return wasOn && !training && evalStatus !== undefined && evaluationActive(evalStatus);
}

export function hpNumber(hps: HyperParameterDesc[], ...names: string[]): number | undefined {
  for (const d of hps) {
    if (names.includes(d.name) || names.includes(d.label)) return d.numericalValue;
  }
  return undefined;
}

export function hpString(hps: HyperParameterDesc[], ...names: string[]): string | undefined {
  for (const d of hps) {
    if (names.includes(d.name) || names.includes(d.label)) return d.stringValue ?? (d.numericalValue !== undefined ? String(d.numericalValue) : undefined);
  }
  return undefined;
}

/** `is_training` as the wire contract defines it: a present string value wins, else number ≠ 0. */
export function hpFlag(hps: HyperParameterDesc[], name: string, label: string): boolean | undefined {
  for (const d of hps) {
    if (d.name === name || d.label === label) {
      if (d.stringValue !== undefined) return /^(true|1|yes|on)$/i.test(d.stringValue.trim());
      if (d.numericalValue !== undefined) return d.numericalValue > 0.5;
    }
  }
  return undefined;
}
