//! The detail panel for one sample: the image, every stat and metadata field, and the
//! sample's loss trajectory from GetSignalTrajectory. It opens with the grid's copy of the
//! sample, then shows the server's fresh record (the grid's copy may predate the last steps),
//! and reads it again after an edit (tags, discards) so the panel never shows the old state.

import type uPlot from "uplot";
import { h, clear, fmtNum, STEP_INCRS } from "./dom";
import { api } from "./api";
import { attempt } from "./toast";
import { bus } from "./store";
import { splitColor } from "./grid/colors";
import { loadUPlot } from "./plots/uplot";
import { parseRecord, type Sample } from "./grid/records";

export class Detail {
  readonly el: HTMLElement;
  private body: HTMLElement;
  private url: string | undefined;
  private plot: uPlot | undefined;
  private current: string | null = null;
  /** The parts of the shown sample that an edit or a fresh record changes. */
  private live: LiveParts | undefined;

  constructor() {
    this.body = h("div", { class: "detail-body" }, placeholder());
    const close = h("button", { class: "detail-close", title: "Close", "aria-label": "Close the sample panel", onclick: () => bus.emit("focus", null) }, "×");
    this.el = h("aside", { class: "detail panel" }, h("div", { class: "panel-title" }, "Sample", close), this.body);
    bus.on("focus", (s) => void this.show(s));
    bus.on("edited", () => void this.reread());
  }

  /** After an edit: the shown sample's tags, discard state and fields as the server has them. */
  private async reread(): Promise<void> {
    const live = this.live;
    const id = this.current;
    if (!live || id === null) return;
    const meta = await attempt("Reading the sample again", () => api.getMetaData({ startIndex: 0, recordsCnt: 0, modalSampleId: id }));
    if (this.current !== id || this.live !== live || !meta?.success || !meta.modalRecord) return;
    const fresh = parseRecord(meta.modalRecord);
    if (fresh.id === id) live.update(fresh);
  }

  private async show(s: Sample | null): Promise<void> {
    if (this.url) URL.revokeObjectURL(this.url);
    this.url = undefined;
    this.plot?.destroy();
    this.plot = undefined;
    clear(this.body);
    // In a narrow window the panel is a drawer over the grid, open while it shows a sample.
    this.el.classList.toggle("open", s !== null);
    this.live = undefined;
    if (!s) {
      this.current = null;
      this.body.append(placeholder());
      return;
    }
    this.current = s.id;
    const img = h("img", { class: "detail-img", alt: `sample ${s.id}` });
    if (s.image) {
      this.url = URL.createObjectURL(new Blob([s.image.bytes as BlobPart], { type: s.image.mime }));
      img.src = this.url;
    }
    const fields = h("dl", { class: "kv" });
    const shown = new Map<string, HTMLElement>();
    const put = (k: string, v: string) => {
      const known = shown.get(k);
      if (known) {
        known.textContent = v;
        known.title = v;
        return;
      }
      const dd = h("dd", { title: v }, v);
      shown.set(k, dd);
      fields.append(h("dt", {}, k), dd);
    };
    let badges = detailBadges(s);
    const tagsEl = h("div", { class: "detail-tags" });
    const discardedPill = h("span", { class: "pill warn" }, "discarded");
    const imgWrap = h("div", { class: "detail-img-wrap", style: `--split:${splitColor(s.origin)}` }, img);
    const showState = (x: Sample) => {
      clear(tagsEl);
      tagsEl.append(...(x.tags.length ? x.tags.map((t) => h("span", { class: "tag-pill" }, t)) : [h("span", { class: "muted small" }, "no tags")]));
      if (x.discarded) imgWrap.append(discardedPill);
      else discardedPill.remove();
    };
    showState(s);
    const trajectory = h("div", { class: "traj" }, h("div", { class: "muted small" }, "Loading loss trajectory…"));
    this.body.append(
      imgWrap,
      h(
        "div",
        { class: "detail-head" },
        h("span", { class: "mono" }, `#${s.id}`),
        h("span", { class: "split-pill", style: `--split:${splitColor(s.origin)}` }, s.origin || "?"),
      ),
      badges,
      tagsEl,
      h("div", { class: "section-title" }, "Loss trajectory"),
      trajectory,
      h("div", { class: "section-title" }, "Fields"),
      fields,
    );
    for (const [k, v] of s.fields) put(k, v);
    const id = s.id;
    const live: LiveParts = {
      update: (fresh) => {
        const merged: Sample = {
          ...s,
          label: fresh.label ?? s.label,
          labelText: fresh.labelText ?? s.labelText,
          pred: fresh.pred ?? s.pred,
          predText: fresh.predText ?? s.predText,
          loss: fresh.loss ?? s.loss,
          confidence: fresh.confidence ?? s.confidence,
          tags: fresh.tags,
          discarded: fresh.discarded,
        };
        const next = detailBadges(merged);
        badges.replaceWith(next);
        badges = next;
        showState(merged);
        for (const [k, v] of fresh.fields) put(k, v);
      },
    };
    this.live = live;
    const [traj, meta] = await Promise.all([
      attempt("Loading the loss trajectory", () => api.getSignalTrajectory({ signalName: "loss", sampleIds: [id], maxPoints: 500 })),
      attempt("Loading sample metadata", () => api.getMetaData({ startIndex: 0, recordsCnt: 0, modalSampleId: id })),
    ]);
    if (this.current !== id) return;
    if (meta?.success && meta.modalRecord) {
      const fresh = parseRecord(meta.modalRecord);
      if (fresh.id === id) live.update(fresh);
    }
    clear(trajectory);
    if (!traj) {
      // The call failed (and said why in a toast): not the same as a sample with no losses yet.
      trajectory.append(h("div", { class: "muted small" }, "The loss trajectory could not be read. Select the sample again to retry."));
      return;
    }
    const values = traj?.trajectories.find((t) => t.sampleId === id)?.value ?? [];
    if (values.length === 0) {
      trajectory.append(h("div", { class: "muted small" }, traj?.message || "No per-step losses recorded for this sample yet."));
      return;
    }
    const xs = values.map((_, i) => i + 1);
    const UPlot = await loadUPlot().catch(() => undefined);
    if (this.current !== id) return;
    if (!UPlot) {
      trajectory.append(h("div", { class: "muted small" }, "The chart library did not load. Reload the page to try again."));
      return;
    }
    this.plot = new UPlot(
      {
        width: Math.max(180, this.body.clientWidth - 8),
        height: 110,
        legend: { show: false },
        cursor: { drag: { x: false, y: false } },
        scales: { x: { time: false } },
        series: [{}, { stroke: "#f0a04b", width: 1.5, points: { show: values.length < 40, size: 4 } }],
        axes: [
          { stroke: "#8b93a7", grid: { stroke: "#262b36" }, ticks: { show: false }, font: "10px system-ui", size: 20, incrs: STEP_INCRS },
          { stroke: "#8b93a7", grid: { stroke: "#262b36" }, ticks: { show: false }, font: "10px system-ui", size: 36 },
        ],
      },
      [xs, values],
      trajectory,
    );
  }
}

interface LiveParts {
  /** Shows a fresh record of the same sample: badges, tags, discard state and fields. */
  update(fresh: Sample): void;
}

function placeholder(): HTMLElement {
  return h("div", { class: "placeholder" }, "Click a sample to see its details.", h("br"), h("span", { class: "muted small" }, "Shift-click or drag to select many · T tag · U untag · D discard · R restore"));
}

/** Label, prediction (marked when it differs from the label), loss and confidence. */
function detailBadges(s: Sample): HTMLElement {
  const wrong = s.label !== undefined && s.pred !== undefined && s.label !== s.pred;
  return h(
    "div",
    { class: "detail-badges" },
    badge("label", s.labelText ?? fmtNum(s.label)),
    badge("pred", s.predText ?? fmtNum(s.pred), wrong ? "wrong" : "right"),
    badge("loss", fmtNum(s.loss, 3)),
    s.confidence !== undefined ? badge("conf", fmtNum(s.confidence, 3)) : null,
  );
}

function badge(k: string, v: string, cls = ""): HTMLElement {
  return h("div", { class: `badge ${cls}` }, h("span", { class: "badge-k" }, k), h("span", { class: "badge-v" }, v));
}
