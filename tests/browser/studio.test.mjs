// End-to-end checks of the Studio against the real server training its demo: thumbnails in the
// grid, pause/resume, tag and discard persistence (over gRPC and across a restart), queries
// changing the counts, live loss points, the new run a discard starts getting a line of its own
// in the charts, training held while a person browses the grid (and not when they switch that
// off), the grid filling in again when the server comes back, and the two speed numbers.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import os from "node:os";
import { Server, launchBrowser, shot, until, isTraining, sampleFlags, thumbIn, gridScreenFilled, waitForMark, explainingGrid } from "./harness.mjs";
import { busiestThread, machineDuring, startStallMeter, threadDuring } from "./stallmeter.mjs";

const TAG = "e2e-hard";
/** `WL_STUDIO_HOLD=off` (passed on to the server): the baseline run, without the Studio's holds. */
const holdOff = /^(off|0|false|no)$/i.test(process.env.WL_STUDIO_HOLD ?? "");
const HOLD_SWITCH = '[data-action="hold-while-browsing"]';
let server;
let browser;
let page;
const metrics = { first_grid_paint_ms: NaN, max_long_task_ms: NaN, long_tasks: NaN, scroll_steps: NaN, scroll_ms: NaN, held_ms: NaN, long_task_at: "", long_frames: "", page_thread: "", machine_stalls: "", steal_ms: NaN, cell_moves: "" };

async function openStudio() {
  page = await browser.newPage({ viewport: { width: 1600, height: 960 } });
  page.on("pageerror", (e) => console.error("page error:", e.message));
  await page.goto(server.url + "/", { waitUntil: "load" });
  // The first paint is one of the measured numbers: wait for the grid's own mark, then check
  // the thumbnails once.
  await waitForMark(page, "wl-first-grid-paint");
  await page.waitForSelector(thumbIn(".cell"), { timeout: 20000 });
}

async function counts() {
  return page.evaluate(() => {
    const n = (k) => Number(document.querySelector(`[data-count="${k}"] b`)?.textContent?.replace(/,/g, "") ?? NaN);
    return { all: n("all"), inLoop: n("in-loop"), discarded: n("discarded") };
  });
}

/** Runs `trigger` (a reset, a query) and waits until the grid has loaded the new view it
 *  causes, which replaces the cells and clears the selection. */
async function untilNewView(trigger) {
  const view = await page.getAttribute(".grid", "data-view");
  await trigger();
  await page.waitForFunction((before) => document.querySelector(".grid")?.dataset.view !== before, view, { timeout: 10000 });
}

async function setTraining(want) {
  const client = server.client();
  if ((await isTraining(client)) === want) return;
  await page.click('[data-action="toggle-training"]');
  await until(`training=${want} over gRPC`, async () => (await isTraining(client)) === want, 10000);
}

describe("Studio in a browser", { timeout: 240000 }, () => {
  before(async () => {
    server = new Server();
    await server.start();
    browser = await launchBrowser();
    await openStudio();
  });

  after(async () => {
    await browser?.close();
    await server?.dispose();
    console.log(
      `studio-metrics: first_grid_paint_ms=${metrics.first_grid_paint_ms.toFixed(0)} max_long_task_ms=${metrics.max_long_task_ms.toFixed(0)}` +
        ` long_tasks=${metrics.long_tasks} scroll_steps=${metrics.scroll_steps} cell_moves=${metrics.cell_moves} scroll_ms=${metrics.scroll_ms.toFixed(0)} training_held_ms=${metrics.held_ms.toFixed(0)} long_task_at=[${metrics.long_task_at}] long_frames=[${metrics.long_frames}] page_thread_ms=[${metrics.page_thread}] machine_stalls=[${metrics.machine_stalls}] steal_ms=${metrics.steal_ms} cpus=${os.cpus().length} load1=${os.loadavg()[0].toFixed(1)}`,
    );
  });

  test("the grid shows thumbnails", async () => {
    const loaded = await until("decoded thumbnails", () =>
      page.evaluate(() => [...document.querySelectorAll(".cell img")].filter((i) => i.complete && i.naturalWidth > 0).length),
    );
    assert.ok(loaded >= 8, `expected at least 8 decoded thumbnails, saw ${loaded}`);
    metrics.first_grid_paint_ms = await page.evaluate(() => performance.getEntriesByName("wl-first-grid-paint")[0]?.startTime ?? NaN);
    assert.ok(Number.isFinite(metrics.first_grid_paint_ms), "the grid never marked its first paint");
    await shot(page, "01-grid");
  });

  test("pause and resume change the training state", async () => {
    const client = server.client();
    const initial = await isTraining(client);
    await page.click('[data-action="toggle-training"]');
    await until("the first toggle over gRPC", async () => (await isTraining(client)) !== initial, 10000);
    await page.waitForFunction((want) => document.body.dataset.training === String(want), !initial, { timeout: 8000 });
    await shot(page, initial ? "02-paused" : "02-training");
    await page.click('[data-action="toggle-training"]');
    await until("the second toggle over gRPC", async () => (await isTraining(client)) === initial, 10000);
  });

  test("the loss plot gains points while training", async () => {
    await setTraining(true);
    const sel = '.chart[data-metric*="loss"]';
    await page.waitForSelector(sel, { timeout: 20000 });
    const before = Number(await page.getAttribute(sel, "data-points"));
    await until("new loss points", async () => Number(await page.getAttribute(sel, "data-points")) > before, 20000, 500);
    await shot(page, "03-training-plots");
  });

  test("tagging and discarding persist over gRPC and across a restart", async () => {
    await setTraining(false);
    // The reset's new view clears the selection when it lands: select only after it has.
    await untilNewView(() => page.click('button[title*="@reset"]'));
    await page.waitForSelector(thumbIn('.cell[data-i="0"]'));
    await page.click('.cell[data-i="0"]');
    await page.keyboard.press("t");
    await page.fill(".modal input", TAG);
    await page.keyboard.press("Enter");
    await explainingGrid(page, () => page.waitForSelector(`.cell[data-i="0"] .tag-pill:text("${TAG}")`, { timeout: 8000 }));
    // The sample panel shows the sample clicked, and follows the edit.
    await page.waitForSelector(`.detail-tags .tag-pill:text("${TAG}")`, { timeout: 8000 });
    // The ids are read from the cells that show the edits, so the check below asks the server
    // about the very samples the grid shows as tagged and discarded (the reset above reloads
    // the grid, and an id read before the reload lands could name the cell's previous sample).
    const id0 = await page.getAttribute('.cell[data-i="0"]', "data-id");
    await page.click('.cell[data-i="1"]');
    await page.click('.cell[data-i="2"]', { modifiers: ["Shift"] });
    await page.keyboard.press("d");
    await page.waitForSelector('.cell[data-i="2"].discarded', { timeout: 8000 });
    // The context menu gives the focus back to the grid: its keys work after a menu command.
    await page.click('.cell[data-i="2"]', { button: "right" });
    await page.click('.ctx-item:has-text("Restore")');
    await page.waitForSelector('.cell[data-i="2"]:not(.discarded)', { timeout: 8000 });
    await page.keyboard.press("d");
    await page.waitForSelector('.cell[data-i="2"].discarded', { timeout: 8000 });
    const id2 = await page.getAttribute('.cell[data-i="2"]', "data-id");
    await shot(page, "04-tag-discard");

    const check = async (client) => {
      const flags = await sampleFlags(client, [id0, id2]);
      assert.ok(flags.get(id0)?.tags.includes(TAG), `sample ${id0} should carry tag ${TAG}: ${JSON.stringify(flags.get(id0))}`);
      assert.equal(flags.get(id2)?.discarded, true, `sample ${id2} should be discarded`);
    };
    await check(server.client());

    await page.close();
    await server.stop();
    await server.start();
    await check(server.client());
    await openStudio();
    await page.waitForSelector('.cell[data-i="2"].discarded', { timeout: 10000 });
    await page.waitForSelector(`.cell[data-i="0"] .tag-pill:text("${TAG}")`, { timeout: 10000 });
  });

  test("a query changes the counts", async () => {
    await page.waitForFunction(() => Number(document.querySelector('[data-count="all"] b')?.textContent?.replace(/,/g, "")) > 0);
    const all = await counts();
    assert.ok(all.discarded >= 2, `the discards from the previous test should be counted: ${JSON.stringify(all)}`);
    await page.fill(".query-input", "not discarded");
    await page.keyboard.press("Enter");
    await until("the filtered count", async () => (await counts()).all === all.all - all.discarded, 10000);
    // A sort on its own re-sorts the filtered rows: the line under the query box says which
    // filter and sort are in force, and the sort controls show the sort.
    await page.fill(".query-input", "sortby loss desc");
    await page.keyboard.press("Enter");
    await page.waitForFunction(() => /discarded.*sorted by loss ↓/.test(document.querySelector(".view-line")?.textContent ?? ""), null, { timeout: 10000 });
    assert.equal((await counts()).all, all.all - all.discarded, "the sort keeps the filter");
    assert.equal(await page.inputValue('select[aria-label="Sort by"]'), "loss");
    await page.fill(".query-input", `tag:${TAG}`);
    await page.keyboard.press("Enter");
    await until("the tag count", async () => (await counts()).all === 1, 10000);
    await shot(page, "05-query");
    await page.click('button[title*="@reset"]');
    await until("the reset count", async () => (await counts()).all === all.all, 10000);
    await page.waitForFunction(() => document.querySelector(".view-line")?.textContent === "", null, { timeout: 10000 });
    assert.equal(await page.inputValue('select[aria-label="Sort by"]'), "index");
  });

  test("the tag dialog tags the samples it named, though a new view lands while it is open", async () => {
    const LATE_TAG = "e2e-late";
    // An edit pauses training (the server's default): pause first, as the test before does, so
    // that the Studio and the server agree on it when the next test resumes.
    await setTraining(false);
    await explainingGrid(page, () => page.waitForSelector(thumbIn('.cell[data-i="3"]')));
    await page.click('.cell[data-i="3"]');
    const id = await page.getAttribute('.cell[data-i="3"]', "data-id");
    await page.keyboard.press("t");
    await page.waitForSelector(".modal input");
    // A new view clears the grid's selection: here a reset, clicked from a script because the
    // dialog covers the page.
    await untilNewView(() => page.evaluate(() => document.querySelector('button[title*="@reset"]').click()));
    await page.fill(".modal input", LATE_TAG);
    await page.keyboard.press("Enter");
    await until(`tag ${LATE_TAG} on sample ${id} over gRPC`, async () => (await sampleFlags(server.client(), [id])).get(id)?.tags.includes(LATE_TAG), 10000);
  });

  test("scrolling through every sample stays smooth", async () => {
    await setTraining(true);
    // The Studio holds training only once it has seen that training runs.
    await page.waitForFunction(() => document.body.dataset.training === "true", null, { timeout: 10000 });
    assert.equal(await page.isChecked(HOLD_SWITCH), true, "holding training while browsing is on by default");
    const heldBefore = (await server.studioClient().holdTraining({ holdMs: 0 })).heldSecondsTotal;
    // A person's pointer is over the grid when they scroll it.
    const grid = await page.locator(".grid-scroll").boundingBox();
    await page.mouse.move(grid.x + grid.width / 2, grid.y + grid.height / 2, { steps: 4 });
    if (holdOff) await page.waitForSelector(`${HOLD_SWITCH}:disabled`, { timeout: 10000 });
    await new Promise((r) => setTimeout(r, 300));
    const total = (await counts()).all;
    assert.ok(total >= 1000, `the demo should have thousands of samples, has ${total}`);
    // The machine's own stalls and its CPUs' steal time over the same span: a long task they
    // overlap was not only the page's doing. The renderers' main threads are followed too: how
    // much of a long task the page's thread spent on a CPU, and how much waiting for one.
    const cdp = await browser.newBrowserCDPSession();
    const { processInfo } = await cdp.send("SystemInfo.getProcessInfo");
    await cdp.detach();
    const meter = startStallMeter(processInfo.filter((p) => p.type === "renderer").map((p) => p.id));
    await meter.ready;
    let result;
    try {
      result = await page.evaluate(async () => {
        const longTasks = [];
        window.__wlLongTasks = longTasks;
        window.__wlObserver = new PerformanceObserver((list) => {
          for (const e of list.getEntries()) longTasks.push([e.startTime, e.duration]);
        });
        window.__wlObserver.observe({ type: "longtask" });
        // The frames behind the long tasks, with what ran in them, so an outlier explains itself:
        // our script (named), style and layout, or neither (the machine held the thread).
        const longFrames = [];
        window.__wlLongFrames = longFrames;
        window.__wlFrameObserver = new PerformanceObserver((list) => {
          for (const e of list.getEntries()) longFrames.push(e);
        });
        try {
          window.__wlFrameObserver.observe({ type: "long-animation-frame" });
        } catch {
          // A browser without long-animation-frame entries: the long tasks alone are logged.
        }
        const el = document.querySelector(".grid-scroll");
        const frame = () => new Promise((r) => requestAnimationFrame(() => r()));
        // Cells moved to new places: over the skeleton a cell moves only once the sample of its new
        // place is loaded, and in a fling not at all.
        let cellMoves = 0;
        const moves = new MutationObserver((records) => {
          for (const r of records) if (r.target.classList?.contains("cell")) cellMoves++;
        });
        moves.observe(el, { subtree: true, attributes: true, attributeFilter: ["style"] });
        let steps = 0;
        const started = performance.now();
        window.__wlScrollStart = started;
        while (el.scrollTop + el.clientHeight < el.scrollHeight - 1) {
          el.scrollTop += el.clientHeight;
          await frame();
          await frame();
          steps++;
        }
        const ms = performance.now() - started;
        moves.disconnect();
        const skeleton = getComputedStyle(el.querySelector(".grid-spacer")).backgroundImage;
        return { steps, ms, wallStart: performance.timeOrigin + started, cellMoves, skeleton };
      });
      // The skeleton the grid shows in a fling is drawn once the page is idle after load.
      assert.match(result.skeleton, /^url\("data:image\/svg\+xml,/, "the grid's background holds the fling skeleton");
      // The last pages arrive after the scroll stops; their decoding is measured too.
      await until("the cells at the end of the grid to load", () => gridScreenFilled(page), 30000);
      await new Promise((r) => setTimeout(r, 500));
      Object.assign(
        result,
        await page.evaluate(() => {
          // Entries not delivered yet (a task in the last moments) are taken too.
          for (const e of window.__wlObserver.takeRecords()) window.__wlLongTasks.push([e.startTime, e.duration]);
          for (const e of window.__wlFrameObserver.takeRecords()) window.__wlLongFrames.push(e);
          window.__wlObserver.disconnect();
          window.__wlFrameObserver.disconnect();
          const lt = window.__wlLongTasks;
          const at = (t) => Math.round(t - window.__wlScrollStart);
          // Each long frame: start+duration, its style-and-layout time, its blocking time, and
          // its scripts (source function or invoker, and duration), longest first.
          const frames = window.__wlLongFrames.map((f) => {
            const scripts = [...f.scripts]
              .sort((a, b) => b.duration - a.duration)
              .slice(0, 3)
              .map((x) => `${x.invoker || x.invokerType}${x.sourceFunctionName ? `/${x.sourceFunctionName}` : ""}:${Math.round(x.duration)}`);
            return `${at(f.startTime)}+${Math.round(f.duration)}(style+layout ${Math.round(f.styleAndLayoutStart ? f.startTime + f.duration - f.styleAndLayoutStart : 0)}, blocking ${Math.round(f.blockingDuration)}${scripts.length ? `, ${scripts.join(" ")}` : ""})`;
          });
          // The cells inside the grid's window once it is filled in (parked cells lie outside it).
          const el = document.querySelector(".grid-scroll");
          const view = el.getBoundingClientRect();
          const cellsOnScreen = [...el.querySelectorAll(".cell:not([style*='display: none'])")].filter((c) => {
            const r = c.getBoundingClientRect();
            return r.bottom > view.top && r.top < view.bottom;
          }).length;
          return {
            wallEnd: performance.timeOrigin + performance.now(),
            cellsOnScreen,
            frames: frames.join(" "),
            maxLong: lt.length ? Math.max(...lt.map(([, d]) => d)) : 0,
            count: lt.length,
            // Each long task: its start in ms from the start of the scroll, and its length.
            tasks: lt.map(([t, d]) => [at(t), d]),
          };
        }),
      );
    } catch (err) {
      // A failed scroll must not leave the meter's thread running: it kept the suite alive.
      await meter.abandon();
      throw err;
    }
    const machine = await meter.stop();
    const pageThread = busiestThread(machine);
    const fromStart = (wall) => Math.round(wall - result.wallStart);
    metrics.max_long_task_ms = result.maxLong;
    metrics.long_tasks = result.count;
    metrics.long_task_at = result.tasks
      .map(([t, d]) => {
        const { stalled, stolen } = machineDuring(machine, result.wallStart + t, d);
        const thread = pageThread && threadDuring(machine, pageThread, result.wallStart + t, d);
        const ran = thread ? `page thread ran ${thread.ran}, waited for a CPU ${thread.waited}; ` : "";
        return `${t}+${Math.round(d)}(${ran}meter stalled ${stalled}, steal ${stolen})`;
      })
      .join(",");
    // The page's thread over the scroll, and over the fill-in and the wait after it.
    const scrollEnd = result.wallStart + result.ms;
    const inScroll = pageThread && threadDuring(machine, pageThread, result.wallStart, result.ms);
    const after = pageThread && threadDuring(machine, pageThread, scrollEnd, result.wallEnd - scrollEnd);
    metrics.page_thread = inScroll && after ? `scroll ran ${inScroll.ran} waited ${inScroll.waited}, after it ran ${after.ran} waited ${after.waited}` : "";
    metrics.machine_stalls = machine.stalls.map(([wall, d]) => `${fromStart(wall)}+${Math.round(d)}`).join(",");
    metrics.steal_ms = machine.stealMs;
    metrics.long_frames = result.frames;
    metrics.scroll_steps = result.steps;
    metrics.cell_moves = `${result.cellMoves} (${result.cellsOnScreen} cells on the last screen)`;
    metrics.scroll_ms = result.ms;
    assert.ok(result.steps > 10, `the scroll should take many steps, took ${result.steps}`);
    await shot(page, "06-scrolled-to-end");
    const heldAfter = (await server.studioClient().holdTraining({ holdMs: 0 })).heldSecondsTotal;
    metrics.held_ms = (heldAfter - heldBefore) * 1000;
    if (holdOff) assert.equal(heldAfter, 0, "a server with holds off never holds training");
    else assert.ok(heldAfter > heldBefore, `training should have waited while the grid scrolled (${heldBefore} -> ${heldAfter} s)`);
  });

  test("a discard starts a new run, and each chart gets a line for it", async () => {
    // A discard changes the data the model trains on, so the server starts a new run: once
    // that has logged points, each chart is built again with a line for each run.
    await untilNewView(() => page.click('button[title*="@reset"]'));
    await page.waitForSelector(thumbIn('.cell[data-i="5"]'));
    await page.click('.cell[data-i="5"]');
    await page.keyboard.press("d");
    await page.waitForSelector('.cell[data-i="5"].discarded', { timeout: 8000 });
    await setTraining(true);
    const chart = '.chart[data-metric="train/loss"]';
    await until("a second run in the loss chart", async () => (await page.locator(`${chart} .run-chip`).count()) === 2, 30000);
    assert.equal(await page.locator(chart).count(), 1, "the rebuilt chart replaces the first one");
    // The two runs differ only in their data state, the end of their hashes: their labels too.
    const labels = await page.$$eval(`${chart} .run-chip`, (chips) => chips.map((c) => c.childNodes[1]?.textContent));
    assert.notEqual(labels[0], labels[1], `the two runs' labels should differ: ${labels.join(", ")}`);
    assert.ok(Number(await page.getAttribute(chart, "data-points")) > 0, "the rebuilt chart draws its points");
    await shot(page, "07-two-runs");
  });

  test("with the switch off, scrolling sends no holds", { skip: holdOff && "the server has holds off" }, async () => {
    await setTraining(true);
    const box = HOLD_SWITCH;
    const before = await server.okCalls("HoldTraining");
    await page.uncheck(box);
    // Unchecking releases any hold at once. Calls sent before it may still be landing: count
    // once they have, then no more may come.
    await until("the release to reach the server", async () => (await server.okCalls("HoldTraining")) > before, 10000, 100);
    await new Promise((r) => setTimeout(r, 500));
    const released = await server.okCalls("HoldTraining");
    await page.evaluate(async () => {
      const el = document.querySelector(".grid-scroll");
      const frame = () => new Promise((r) => requestAnimationFrame(() => r()));
      for (let i = 0; i < 6; i++) {
        el.scrollTop = Math.max(0, el.scrollTop - el.clientHeight);
        await frame();
      }
    });
    // A hold asked for on the first scroll event would have landed long before this.
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(await server.okCalls("HoldTraining"), released, "no hold while the switch is off");
    await page.reload({ waitUntil: "load" });
    assert.equal(await page.isChecked(box), false, "the switch remembers it is off");
    await page.check(box);
  });

  test("the grid fills in again when the server comes back", async () => {
    // The server goes away while the page is open, the grid is scrolled to pages it has not
    // loaded, and the server comes back on the same address: the screen fills in by itself.
    await server.stop();
    await page.waitForFunction(() => document.body.dataset.conn === "offline", null, { timeout: 30000 });
    await page.evaluate(() => {
      const el = document.querySelector(".grid-scroll");
      el.scrollTop = Math.floor(el.scrollHeight / 3);
    });
    await new Promise((r) => setTimeout(r, 1000));
    await server.start(90000, { samePort: true });
    await page.waitForFunction(() => document.body.dataset.conn === "online", null, { timeout: 30000 });
    await explainingGrid(page, () => until("the screen filled in after the reconnect", () => gridScreenFilled(page), 30000));
    await shot(page, "08-reconnected");
  });

  test("a narrow window keeps every control in reach", async () => {
    // The desktop window opens at 1280 x 800 and may shrink to 640 x 480.
    for (const [width, height] of [[1280, 800], [800, 600]]) {
      const narrow = await browser.newPage({ viewport: { width, height } });
      try {
        await narrow.goto(server.url + "/", { waitUntil: "load" });
        await waitForMark(narrow, "wl-first-grid-paint");
        // Each control lies inside what holds it: the window, or the grid's column (whose
        // overflow is hidden, so a control past its edge is cut off).
        const column = await narrow.locator(".querybar").boundingBox();
        const within = [
          ['[data-action="toggle-training"]', { x: 0, width }],
          ['button[data-size="L"]', column],
          [".query-box", column],
          [".querybar .btn.primary", column],
        ];
        for (const [selector, outer] of within) {
          const box = await narrow.locator(selector).boundingBox();
          assert.ok(box && box.width > 0, `${width}px: ${selector} is laid out`);
          assert.ok(
            box.x >= outer.x - 0.5 && box.x + box.width <= outer.x + outer.width + 0.5,
            `${width}px: ${selector} (x ${box.x}..${box.x + box.width}) lies inside ${outer.x}..${outer.x + outer.width}`,
          );
        }
        const grid = await narrow.locator(".grid-scroll").boundingBox();
        assert.ok(grid.width >= 300, `${width}px: the grid keeps ${grid.width}px`);
        await narrow.click(".cell >> nth=1");
        await narrow.waitForSelector(".detail .detail-badges", { state: "visible" });
        if (width < 860) {
          await narrow.click(".detail-close");
          await narrow.waitForSelector(".detail", { state: "hidden" });
        }
        await shot(narrow, `07-window-${width}`);
      } finally {
        await narrow.close();
      }
    }
  });
});
