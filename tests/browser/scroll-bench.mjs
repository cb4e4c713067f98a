// Scroll bench for the Studio grid (not a test: it asserts nothing and prints figures).
//
// The browser test's long-task log only sees tasks over 50 ms; this bench traces the same scroll
// (a screen every two frames through every sample, while the demo trains, then the fill-in of
// the last screen) and prints the longest main-thread tasks in three phases: the scroll's first
// 300 ms, the rest of the scroll, and the fill-in after it. Given several Studio builds, it
// alternates between them run by run, so a noisy machine weighs on each alike.
//
//   WL_SERVER_BIN=target/release/weightslab node tests/browser/scroll-bench.mjs [STUDIO_DIR ...]
//
// With no STUDIO_DIR it measures the Studio embedded in the binary; with some, each is served
// with `--studio-dir` (a `vite build --outDir DIR` of ui-shim). RUNS sets the runs per build (4).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Server, gridScreenFilled, launchBrowser, until, waitForMark } from "./harness.mjs";

const builds = process.argv.slice(2);
const variants = builds.length > 0 ? builds : [""];
const runs = Number(process.env.RUNS ?? 4);
const THRESHOLD_MS = 20;

/** One run: the tasks over THRESHOLD_MS on the page's main thread, by phase, in ms. */
async function measure(studioDir) {
  const server = new Server({ extraArgs: studioDir ? ["--studio-dir", studioDir] : [] });
  await server.start();
  const browser = await launchBrowser();
  const traceFile = path.join(os.tmpdir(), `wl-scroll-bench-${process.pid}.json`);
  try {
    const page = await browser.newPage({ viewport: { width: 1600, height: 960 } });
    await page.goto(server.url + "/", { waitUntil: "load" });
    await waitForMark(page, "wl-first-grid-paint");
    await new Promise((r) => setTimeout(r, 3000));
    if ((await page.evaluate(() => document.body.dataset.training)) !== "true") await page.click('[data-action="toggle-training"]');
    await page.waitForFunction(() => document.body.dataset.training === "true", null, { timeout: 20000 });
    const grid = await page.locator(".grid-scroll").boundingBox();
    await page.mouse.move(grid.x + grid.width / 2, grid.y + grid.height / 2, { steps: 4 });
    await new Promise((r) => setTimeout(r, 300));
    await browser.startTracing(page, { path: traceFile, categories: ["toplevel", "blink.user_timing"] });
    await page.evaluate(async () => {
      const el = document.querySelector(".grid-scroll");
      const frame = () => new Promise((r) => requestAnimationFrame(r));
      performance.mark("wl-bench-scroll-start");
      while (el.scrollTop + el.clientHeight < el.scrollHeight - 1) {
        el.scrollTop += el.clientHeight;
        await frame();
        await frame();
      }
      performance.mark("wl-bench-scroll-end");
    });
    await until("the last screen to fill in", () => gridScreenFilled(page), 30000);
    await new Promise((r) => setTimeout(r, 500));
    await browser.stopTracing();
  } finally {
    await browser.close();
    await server.dispose();
  }
  const events = JSON.parse(fs.readFileSync(traceFile, "utf8")).traceEvents;
  fs.unlinkSync(traceFile);
  const mainThreads = new Set(events.filter((e) => e.name === "thread_name" && e.args?.name === "CrRendererMain").map((e) => `${e.pid}:${e.tid}`));
  const start = events.find((e) => e.name === "wl-bench-scroll-start")?.ts;
  const end = events.find((e) => e.name === "wl-bench-scroll-end")?.ts;
  if (start === undefined || end === undefined) throw new Error("the trace lacks the scroll's marks");
  const phases = { start: [], scroll: [], fillIn: [] };
  for (const e of events) {
    if (e.ph !== "X" || !mainThreads.has(`${e.pid}:${e.tid}`) || e.ts < start) continue;
    if (e.name !== "ThreadControllerImpl::RunTask" && e.name !== "RunTask") continue;
    const ms = e.dur / 1000;
    if (ms <= THRESHOLD_MS) continue;
    const phase = e.ts < start + 300e3 ? "start" : e.ts < end ? "scroll" : "fillIn";
    phases[phase].push(Math.round(ms));
  }
  for (const list of Object.values(phases)) list.sort((a, b) => b - a);
  return phases;
}

const results = new Map(variants.map((v) => [v, []]));
const label = (v) => (v ? path.basename(path.resolve(v)) : "embedded");
for (let run = 0; run < runs; run++) {
  for (const v of variants) {
    const phases = await measure(v);
    results.get(v).push(phases);
    const show = (list) => (list.length ? list.slice(0, 4).join("/") : "-");
    console.log(`${label(v)} run ${run + 1}: tasks over ${THRESHOLD_MS} ms (longest first): start ${show(phases.start)} | scroll ${show(phases.scroll)} | fill-in ${show(phases.fillIn)}`);
  }
}
console.log(`\nlongest task per run, ms (0: none over ${THRESHOLD_MS} ms); machine: ${os.cpus().length} cpus, load ${os.loadavg()[0].toFixed(1)}`);
for (const v of variants) {
  const rs = results.get(v);
  const longest = (k) => rs.map((r) => r[k][0] ?? 0).join(", ");
  const over50 = rs.filter((r) => [...r.start, ...r.scroll, ...r.fillIn].some((ms) => ms > 50)).length;
  console.log(`${label(v)}: start [${longest("start")}]  scroll [${longest("scroll")}]  fill-in [${longest("fillIn")}]  runs with a task over 50 ms: ${over50} of ${rs.length}`);
}
