//! Studio entry point: lays out the panels and starts the heartbeat, counts and plot polling.

import "./styles.css";
import { h, whenIdle } from "./dom";
import { api } from "./api";
import { mountToasts, attempt } from "./toast";
import { bus, gridPainted, state } from "./store";
import { Header } from "./controls/header";
import { HyperParams } from "./controls/hparams";
import { BrowseHold } from "./controls/hold";
import { listenForAuth, startHeartbeat } from "./controls/conn";
import { CELL_SIZES, Grid, type CellSize } from "./grid/grid";
import { grpcSource } from "./grid/source";
import { QueryBar } from "./query";
import { Plots } from "./plots/plots";
import { Detail } from "./detail";
import { splitColor } from "./grid/colors";

function boot(): void {
  const app = document.getElementById("app");
  if (!app) return;
  const header = new Header();
  const grid = new Grid(grpcSource);
  const sizeBtns = (Object.keys(CELL_SIZES) as CellSize[]).map((k) => {
    const b = h("button", { class: `seg-btn${grid.cellSize === k ? " on" : ""}`, title: `Cell size ${k}`, "data-size": k }, k);
    b.addEventListener("click", () => {
      grid.setCellSize(k);
      for (const x of sizeBtns) x.classList.toggle("on", x === b);
    });
    return b;
  });
  const sizeControl = h("div", { class: "seg small-seg", role: "group", "aria-label": "Cell size" }, ...sizeBtns);
  const query = new QueryBar((n) => grid.setTotal(n), sizeControl);
  const plots = new Plots();
  const hparams = new HyperParams();
  const detail = new Detail();
  const selInfo = h("span", { class: "sel-info" });
  // What the coloured top edge of a cell means: its split.
  const splitLegend = h("span", { class: "split-legend", title: "A cell's top edge shows its split" });
  const hold = new BrowseHold(grid.el);
  bus.on("selection", (n) => (selInfo.textContent = n > 0 ? `${n} selected · T tag · U untag · D discard · R restore · Esc clear` : ""));

  app.append(
    header.el,
    h(
      "main",
      { class: "layout" },
      h("div", { class: "left" }, plots.el, hparams.el),
      h("section", { class: "centre panel" }, query.el, grid.el, h("div", { class: "statusline" }, selInfo, splitLegend, hold.el)),
      detail.el,
    ),
  );
  mountToasts(document.body);

  // The first page goes out first: its answer carries the view size too. The counts and the
  // other start-up calls wait for the grid's first paint: starting their requests (the first
  // call also compiles the RPC client) and decoding their answers on this thread delayed it.
  listenForAuth();
  grid.prime();
  const firstCounts = gridPainted.then(() => query.refresh());
  void gridPainted.then(() => {
    // Spare cells for the rows a first scroll adds, made while the page is idle.
    whenIdle(() => grid.prewarm(2));
    startHeartbeat();
    plots.start();
    void attempt("Reading metadata columns", () => api.getMetaData({ startIndex: 0, recordsCnt: 0 })).then((m) => {
      if (m?.success) query.setColumns(m.allMetadataNames);
    });
    // Splits that cannot be read leave the legend out: the grid works without it.
    void api.getDataSplits({}).then(
      (res) => {
        const names = res.splitNames.filter((n) => n && n !== "none");
        splitLegend.replaceChildren(...names.map((n) => h("span", { class: "split-key", style: `--split:${splitColor(n)}` }, n)));
      },
      () => {},
    );
  });

  // Coming online with no samples shown means the start-up calls failed (server not up yet,
  // token missing): load again. The first heartbeat usually answers while those calls are still
  // on their way, so wait for them rather than cancel and repeat the first page. Coming back
  // after an outage, the pages asked for meanwhile failed, and the view may have changed (a
  // restarted server, another client): read the counts and the view again and fill the screen.
  let wasOnline = false;
  let everOnline = false;
  bus.on("conn", (c) => {
    if (c === "online" && !wasOnline) {
      const reconnect = everOnline;
      everOnline = true;
      void firstCounts.then(() => {
        if (state.conn !== "online") return;
        if (state.counts.all === 0) {
          void query.refresh();
          bus.emit("view", undefined);
        } else if (reconnect) {
          void query.refresh();
          grid.resume();
        }
      });
    }
    wasOnline = c === "online";
  });
  header.onTrainingChange = () => plots.nudge();
  let lastTraining = state.training;
  bus.on("hps", () => {
    if (state.training !== lastTraining) {
      lastTraining = state.training;
      plots.nudge();
    }
  });
  // Losses and predictions change while training: refresh what is on screen now and then.
  setInterval(() => {
    if (state.training && state.conn === "online" && !document.hidden) grid.refreshVisible();
  }, 15000);
}

boot();
