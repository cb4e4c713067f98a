//! The query bar: the query box (filters, pandas subset, natural language), sort controls,
//! the counts (all / in the loop / discarded), the view in force (read back from the server:
//! a sort or a limit applies to the rows the filters left) and the tag chips.

import { h, clear, fmtNum } from "./dom";
import { api, studioApi } from "./api";
import { attempt, toast } from "./toast";
import { bus, state } from "./store";
import type { DataQueryResponse } from "./gen/experiment_service_pb.js";
import { describeView, firstSortKey, looksLikeExpression, refusal, sortControl } from "./querytext";

const SORT_COLUMNS = ["index", "loss", "label", "prediction", "confidence", "encounters", "origin", "sample_id"];

export class QueryBar {
  readonly el: HTMLElement;
  private input: HTMLInputElement;
  private modeBadge: HTMLSpanElement;
  private countsEl: HTMLDivElement;
  private tagsEl: HTMLDivElement;
  private sortCol: HTMLSelectElement;
  private sortDir: HTMLButtonElement;
  private answer: HTMLDivElement;
  private viewEl: HTMLDivElement;
  private activeTag: string | null = null;
  private onTotal: (n: number) => void;

  constructor(onTotal: (n: number) => void, sizeControl?: HTMLElement) {
    this.onTotal = onTotal;
    this.input = h("input", {
      class: "query-input",
      type: "text",
      placeholder: "Filter: loss > 0.5 and label == 3 · sortby loss desc · tag:hard · not discarded — or ask in plain words",
      spellcheck: "false",
      autocomplete: "off",
      "aria-label": "Query",
    });
    this.modeBadge = h("span", { class: "mode-badge", title: "How the query will be read" }, "expr");
    this.input.addEventListener("input", () => this.updateMode());
    this.input.addEventListener("keydown", (e) => {
      if (e.key === "Enter") void this.run(this.input.value);
      if (e.key === "Escape") this.input.blur();
    });
    this.sortCol = h("select", { class: "select", "aria-label": "Sort by", title: "Sort by column" });
    for (const c of SORT_COLUMNS) this.sortCol.append(h("option", { value: c }, c));
    this.sortDir = h("button", { class: "btn icon", title: "Sort direction", "data-dir": "asc" }, "↑");
    this.sortCol.addEventListener("change", () => void this.sort());
    this.sortDir.addEventListener("click", () => {
      const next = this.sortDir.dataset.dir === "asc" ? "desc" : "asc";
      this.sortDir.dataset.dir = next;
      this.sortDir.textContent = next === "asc" ? "↑" : "↓";
      void this.sort();
    });
    this.countsEl = h("div", { class: "counts" });
    this.tagsEl = h("div", { class: "tag-chips" });
    this.answer = h("div", { class: "query-answer" });
    this.viewEl = h("div", { class: "view-line", title: "The view in force on the server: filters, sort and limit" });
    this.el = h(
      "div",
      { class: "querybar" },
      h(
        "div",
        { class: "query-row" },
        h("div", { class: "query-box" }, h("span", { class: "query-icon" }, "⌕"), this.input, this.modeBadge),
        h("button", { class: "btn primary", onclick: () => void this.run(this.input.value) }, "Apply"),
        h("button", { class: "btn", title: "Back to the whole dataset (@reset)", onclick: () => void this.reset() }, "Reset"),
        // One unit, so that in a narrow window the sort and size controls wrap together
        // under the query box instead of being cut off.
        h("div", { class: "sort-group" }, h("label", { class: "muted small" }, "Sort"), this.sortCol, this.sortDir, sizeControl ?? null),
      ),
      h("div", { class: "query-row second" }, this.countsEl, this.viewEl, this.tagsEl),
      this.answer,
    );
    this.renderCounts();
    bus.on("edited", () => void this.refreshCounts());
  }

  private updateMode(): void {
    const nl = !looksLikeExpression(this.input.value);
    this.modeBadge.textContent = nl ? "ask" : "expr";
    this.modeBadge.classList.toggle("nl", nl);
  }

  /** Adds the metadata columns the server knows about to the sort menu. */
  setColumns(names: string[]): void {
    const have = new Set([...this.sortCol.options].map((o) => o.value));
    for (const n of names) if (!have.has(n) && !n.startsWith("tag:")) this.sortCol.append(h("option", { value: n }, n));
  }

  async refreshCounts(): Promise<void> {
    const res = await attempt("Reading the sample counts", () => api.applyDataQuery({ query: "" }, { timeoutMs: 30000 }));
    if (res) this.absorb(res);
  }

  /** The counts and the view in force, read again (at start-up and after a reconnect; an edit
   *  changes the counts but not the view's definition). */
  async refresh(): Promise<void> {
    await Promise.all([this.refreshCounts(), this.refreshView()]);
  }

  /** Reads the view in force back from the server and shows it: the line of filters, sort and
   *  limit, and the sort controls. A server without GetView leaves both as they are. */
  async refreshView(): Promise<void> {
    let view;
    try {
      view = await studioApi.getView({}, { timeoutMs: 10000 });
    } catch {
      return;
    }
    const text = describeView(view.filters, view.sort, view.limit, view.windowSorts);
    this.viewEl.textContent = text;
    const sort = sortControl(view.sort);
    this.showSort(sort.column, sort.dir);
  }

  async run(q: string, nlOverride?: boolean): Promise<void> {
    const query = q.trim();
    const nl = nlOverride ?? !looksLikeExpression(query);
    this.answer.textContent = "";
    this.el.classList.add("busy");
    const res = await attempt(`Query “${query || "(counts)"}”`, () => api.applyDataQuery({ query, isNaturalLanguage: nl, accumulate: false }));
    this.el.classList.remove("busy");
    if (!res) return;
    if (!res.success) {
      const told = refusal(res.message);
      toast(told.toast);
      this.answer.textContent = told.detail;
      return;
    }
    state.query = query;
    const sort = firstSortKey(query);
    if (sort) this.showSort(sort.column, sort.dir);
    void this.refreshView();
    // The generated code has loaded with the client by now (see api.ts).
    const { AgentIntentType } = await import("./gen/experiment_service_pb.js");
    if (res.agentIntentType === AgentIntentType.INTENT_ANALYSIS) {
      this.answer.textContent = res.analysisResult || res.message;
      this.absorb(res);
      return;
    }
    if (res.message) {
      // A filter's confirmation is only news for a moment; analysis answers stay (above).
      const msg = res.message;
      this.answer.textContent = msg;
      setTimeout(() => {
        if (this.answer.textContent === msg) this.answer.textContent = "";
      }, 6000);
    }
    this.absorb(res);
    bus.emit("view", undefined);
  }

  async reset(): Promise<void> {
    this.input.value = "";
    this.activeTag = null;
    this.updateMode();
    await this.run("@reset", true);
  }

  /** Mirrors a sort typed in the query box in the sort controls. */
  private showSort(col: string, dir: string): void {
    if (![...this.sortCol.options].some((o) => o.value === col)) this.sortCol.append(h("option", { value: col }, col));
    this.sortCol.value = col;
    this.sortDir.dataset.dir = dir;
    this.sortDir.textContent = dir === "asc" ? "↑" : "↓";
  }

  private async sort(): Promise<void> {
    const col = this.sortCol.value;
    const dir = this.sortDir.dataset.dir ?? "asc";
    const name = /^[\w:]+$/.test(col) ? col : `\`${col}\``;
    await this.run(`sortby ${name} ${dir}`, false);
  }

  private absorb(res: DataQueryResponse): void {
    state.counts = {
      all: res.numberOfAllSamples,
      inLoop: res.numberOfSamplesInTheLoop,
      discarded: res.numberOfDiscardedSamples,
    };
    state.tags = [...res.uniqueTags].sort();
    this.onTotal(res.numberOfAllSamples);
    bus.emit("counts", state.counts);
    this.renderCounts();
  }

  private renderCounts(): void {
    const c = state.counts;
    clear(this.countsEl);
    this.countsEl.append(
      // A filter narrows the view, while the other two counts are over the whole table: say
      // "in view" then, so that "1 all · 9,998 in loop" never reads as a contradiction.
      h(
        "span",
        { class: "count", "data-count": "all", title: "Samples in the current view" },
        h("b", {}, fmtNum(c.all)),
        c.all < c.inLoop + c.discarded ? " in view" : " all",
      ),
      h("span", { class: "count loop", "data-count": "in-loop", title: "Not discarded: used for training" }, h("b", {}, fmtNum(c.inLoop)), " in loop"),
      h("span", { class: "count disc", "data-count": "discarded", title: "Discarded samples" }, h("b", {}, fmtNum(c.discarded)), " discarded"),
    );
    clear(this.tagsEl);
    for (const t of state.tags) {
      const chip = h(
        "button",
        { class: `chip${this.activeTag === t ? " on" : ""}`, title: `Show only samples tagged ${t}` },
        h("span", { class: "chip-dot" }),
        t,
      );
      chip.addEventListener("click", () => {
        if (this.activeTag === t) {
          void this.reset();
          return;
        }
        this.activeTag = t;
        this.input.value = `tag:${t}`;
        this.updateMode();
        void this.run(`tag:${t}`, false);
      });
      this.tagsEl.append(chip);
    }
  }
}
