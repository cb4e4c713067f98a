// A Studio left open while training runs for a long time: each chart keeps a bounded number of
// points (the reduced history replaces the polled points once a curve grows long), so it draws
// as fast after hours as after a minute. The fast MLP makes thousands of steps in seconds.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Server, launchBrowser, shot, until } from "./harness.mjs";

async function modelAge(client) {
  const res = await client.experimentCommand({ getHyperParameters: true });
  const d = res.hyperParametersDescs.find((x) => x.name === "model_age");
  if (!d) throw new Error("the server's hyperparameters have no model_age descriptor");
  return d.numericalValue ?? 0;
}

test("a chart holds a bounded number of points however long training runs", { timeout: 300000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "wl-plots-"));
  const config = path.join(dir, "run.toml");
  fs.writeFileSync(config, '[model]\nkind = "mlp"\n\n[train]\neval_frequency = 0\ncheckpoint_frequency = 0\n');
  const server = new Server({ logDir: path.join(dir, "logs"), extraArgs: ["--config", config, "--thumbnails", "cpu"] });
  await server.start();
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage({ viewport: { width: 1600, height: 960 } });
    page.on("pageerror", (e) => console.error("page error:", e.message));
    await page.goto(server.url + "/", { waitUntil: "load" });
    const chart = '.chart[data-metric="train/loss"]';
    await page.waitForSelector(chart, { timeout: 30000 });
    const client = server.client();
    // One point per step: past 3,500 steps, polls alone would hold more than 3,000 points.
    await until("3,500 training steps", async () => (await modelAge(client)) > 3500, 240000, 500);
    const points = () => page.evaluate((sel) => Number(document.querySelector(sel)?.dataset.points), chart);
    const before = await points();
    await until("the next poll to reach the chart", async () => (await points()) !== before, 30000, 200);
    const after = await points();
    await shot(page, "plots-long-run");
    assert.ok(after > 0 && after <= 3000, `the loss chart should hold at most 3,000 points, holds ${after}`);
  } finally {
    await browser.close();
    await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
