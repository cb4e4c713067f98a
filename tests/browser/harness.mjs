// Test harness for the Studio browser tests: start the real server binary on a free port,
// wait for /healthz, launch Debian's chromium headless, and keep screenshots as artifacts.
import { spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, nodeClient, nodeStudioClient } from "../../ui-shim/testkit.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(here, "..", "..");
export const artifactsDir = path.join(repoRoot, "artifacts", "browser");
fs.mkdirSync(artifactsDir, { recursive: true });

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** A selector for thumbnails shown inside `scope`: the grid's images carry data: URLs, the
 *  sample panel's a blob URL. */
export const thumbIn = (scope) => `${scope} img[src^="blob:"], ${scope} img[src^="data:image/"]`;

/** Whether every place on the grid's screen has its cell filled in, with its thumbnail loaded
 *  and decoded. The places come from the grid's geometry and its sample count (`data-total`),
 *  not from the cells there are: a place the grid has not given a cell yet (it shows the
 *  skeleton there) is not filled. */
export function gridScreenFilled(page) {
  return page.evaluate((thumb) => {
    const grid = document.querySelector(".grid");
    const scroller = grid?.querySelector(".grid-scroll");
    const spacer = scroller?.querySelector(".grid-spacer");
    const total = Number(grid?.dataset.total);
    const shown = [...(grid?.querySelectorAll(".cell") ?? [])].filter((c) => c.style.display !== "none");
    if (!spacer || !(total > 0) || shown.length === 0) return false;
    const cellW = shown[0].offsetWidth;
    const cellH = shown[0].offsetHeight;
    const cols = Math.max(1, Math.round(spacer.offsetWidth / cellW));
    const firstRow = Math.floor(scroller.scrollTop / cellH);
    const lastRow = Math.floor((scroller.scrollTop + scroller.clientHeight - 1) / cellH);
    const byIndex = new Map(shown.map((c) => [Number(c.dataset.i), c]));
    for (let i = firstRow * cols; i <= Math.min(total - 1, (lastRow + 1) * cols - 1); i++) {
      const c = byIndex.get(i);
      const img = c?.querySelector(thumb);
      if (!c || c.classList.contains("loading") || !img || !img.complete || img.naturalWidth === 0) return false;
    }
    return true;
  }, thumbIn(":scope"));
}

/** The grid's cells as a person's script sees them, one line each (index, shown or hidden, class,
 *  image, tags, place), for a test that failed to find one to explain what the grid showed. */
export function describeGrid(page) {
  return page.evaluate(() => {
    const grid = document.querySelector(".grid");
    const scroller = grid?.querySelector(".grid-scroll");
    if (!scroller) return "no grid";
    const cells = [...scroller.querySelectorAll(".cell")].map((c) => {
      const src = c.querySelector("img")?.getAttribute("src") ?? "";
      const tags = [...c.querySelectorAll(".tag-pill")].map((p) => p.textContent).join("+");
      return `${c.dataset.i ?? "-"} ${c.style.display === "none" ? "hidden" : "shown"} [${c.className}] ${src.slice(0, 16)} {${tags}} ${c.style.transform}`;
    });
    const toasts = [...document.querySelectorAll(".toast")].map((t) => t.textContent);
    return `view ${grid.dataset.view}, ${grid.dataset.total} samples, scrollTop ${scroller.scrollTop}, toasts [${toasts.join(" | ")}]\n${cells.join("\n")}`;
  });
}

/** Runs `wait`; when it fails, logs describeGrid first. */
export async function explainingGrid(page, wait) {
  try {
    return await wait();
  } catch (err) {
    console.error(`the grid when this failed: ${await describeGrid(page).catch((e) => e.message)}`);
    throw err;
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Waits for the page's performance mark `name` without polling the page: a
 *  PerformanceObserver resolves when the page marks it. Waiting with `waitForSelector` instead
 *  runs a query on the page's main thread every frame, and on this 2-core machine that delayed
 *  the very paint being measured by a few hundred ms. */
export async function waitForMark(page, name, timeoutMs = 20000) {
  const seen = await page.evaluate(
    ([mark, ms]) =>
      new Promise((resolve) => {
        const done = () => performance.getEntriesByName(mark, "mark").length > 0;
        if (done()) return resolve(true);
        const observer = new PerformanceObserver(() => {
          if (!done()) return;
          observer.disconnect();
          resolve(true);
        });
        observer.observe({ type: "mark" });
        setTimeout(() => {
          observer.disconnect();
          resolve(done());
        }, ms);
      }),
    [name, timeoutMs],
  );
  if (!seen) throw new Error(`the page did not mark ${name} within ${timeoutMs} ms`);
}

/** The server command: WL_SERVER_BIN, the real weightslab binary. */
function serverCommand() {
  const bin = process.env.WL_SERVER_BIN;
  if (!bin) throw new Error("WL_SERVER_BIN is not set: point it at the weightslab binary (e.g. target/debug/weightslab).");
  if (!fs.existsSync(bin)) throw new Error(`WL_SERVER_BIN=${bin} does not exist; build it first (cargo build -p weightslab).`);
  return [bin, []];
}

export class Server {
  /** `token`: start the server requiring it (GRPC_AUTH_TOKEN), and send it from client().
   *  `extraArgs`: more `weightslab serve` flags (e.g. --studio-dir). */
  constructor({ logDir, token, extraArgs } = {}) {
    this.token = token;
    this.extraArgs = extraArgs ?? [];
    /** A log folder the harness made is its to remove (see dispose). */
    this.ownsLogDir = logDir === undefined;
    this.logDir = logDir ?? fs.mkdtempSync(path.join(os.tmpdir(), "wl-browser-"));
    this.proc = null;
    this.port = 0;
    this.output = "";
  }

  get url() {
    return `http://127.0.0.1:${this.port}`;
  }

  client() {
    return nodeClient(this.url, this.token);
  }

  studioClient() {
    return nodeStudioClient(this.url, this.token);
  }

  /** The server's count of `method` calls that answered OK, from GET /metrics. */
  async okCalls(method) {
    const text = await (await fetch(`${this.url}/metrics`)).text();
    const line = text.split("\n").find((l) => l.startsWith(`weightslab_rpc_calls_total{method="${method}",code="Ok"}`));
    return line ? Number(line.split(" ").pop()) : 0;
  }

  /** `samePort`: listen where the last start did (a client that stays open reconnects). */
  async start(timeoutMs = 90000, { samePort = false } = {}) {
    const [cmd, pre] = serverCommand();
    if (!samePort || !this.port) this.port = await freePort();
    this.output = "";
    this.proc = spawn(cmd, [...pre, "serve", "--port", String(this.port), "--log-dir", this.logDir, ...this.extraArgs], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, WL_LOG: process.env.WL_LOG ?? "warn", ...(this.token ? { GRPC_AUTH_TOKEN: this.token } : {}) },
    });
    const keep = (d) => {
      this.output = (this.output + d.toString()).slice(-20000);
    };
    this.proc.stdout.on("data", keep);
    this.proc.stderr.on("data", keep);
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.proc.exitCode !== null) throw new Error(`server exited with ${this.proc.exitCode} before /healthz answered:\n${this.output}`);
      try {
        const res = await fetch(`${this.url}/healthz`);
        if (res.status === 200) return;
      } catch {
        // Not listening yet.
      }
      await sleep(200);
    }
    throw new Error(`server did not answer GET /healthz with 200 within ${timeoutMs} ms:\n${this.output}`);
  }

  /** Graceful stop (SIGTERM, so the server can flush its store), then SIGKILL after 15 s. */
  async stop() {
    const p = this.proc;
    if (!p || p.exitCode !== null) return;
    const exited = new Promise((r) => p.once("exit", r));
    p.kill("SIGTERM");
    const t = setTimeout(() => p.kill("SIGKILL"), 15000);
    await exited;
    clearTimeout(t);
  }

  /** Stops the server for good and removes the log folder the harness made for it. */
  async dispose() {
    await this.stop();
    if (this.ownsLogDir) fs.rmSync(this.logDir, { recursive: true, force: true });
  }
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_BIN ?? "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
}

export async function shot(page, name) {
  await page.screenshot({ path: path.join(artifactsDir, `${name}.png`) });
}

/** Polls `fn` until it returns a truthy value or the time runs out. */
export async function until(what, fn, timeoutMs = 15000, everyMs = 250) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    last = await fn();
    if (last) return last;
    await sleep(everyMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last value: ${JSON.stringify(last)})`);
}

/** is_training read over gRPC the way the contract defines it. */
export async function isTraining(client) {
  const res = await client.experimentCommand({ getHyperParameters: true });
  const d = res.hyperParametersDescs.find((x) => x.name === "is_training" || x.label === "Is Training");
  if (!d) throw new Error("the server's hyperparameters have no is_training descriptor");
  if (d.stringValue !== undefined) return /^(true|1|yes|on)$/i.test(d.stringValue);
  return (d.numericalValue ?? 0) > 0.5;
}

/** Tags and discard flag of the given ids, read from the first `count` rows over gRPC. */
export async function sampleFlags(client, ids, count = 256) {
  const res = await client.getDataSamples({ startIndex: 0, recordsCnt: count, includeRawData: false });
  const out = new Map();
  for (const r of res.dataRecords) {
    if (!ids.includes(r.sampleId)) continue;
    let discarded = false;
    const tags = new Set();
    for (const s of r.dataStats) {
      if (s.name === "discarded") discarded = s.value.length ? s.value[0] !== 0 : s.valueString === "1" || s.valueString === "true";
      if (s.name === "tags") for (const t of s.valueString.split(/[;,]/)) if (t.trim()) tags.add(t.trim());
      if (s.name.startsWith("tag:") && (s.value[0] === 1 || s.valueString === "1")) tags.add(s.name.slice(4));
    }
    out.set(r.sampleId, { discarded, tags: [...tags] });
  }
  return out;
}
