// Compatibility with a client nobody here wrote: the stock Weights Studio single-page app
// from the public `weightslab` 2.0.3 wheel, served by our server with --studio-dir, must
// connect, make its start-up calls successfully and fill its grid with thumbnails.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import { Server, launchBrowser, shot, until } from "./harness.mjs";

const studioDir = process.env.WL_WEIGHTS_STUDIO_DIR;

test("the stock Weights Studio 2.0.3 drives our server", { skip: !studioDir && "WL_WEIGHTS_STUDIO_DIR is not set" }, async () => {
  assert.ok(fs.existsSync(`${studioDir}/index.html`), `no index.html in ${studioDir}`);
  const server = new Server({ extraArgs: ["--studio-dir", studioDir, "--thumbnails", "cpu"] });
  await server.start();
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
    const calls = new Map();
    page.on("response", (response) => {
      const url = new URL(response.url());
      if (!url.pathname.startsWith("/ExperimentService/")) return;
      const method = url.pathname.split("/")[2];
      const entry = calls.get(method) ?? { ok: 0, failed: 0 };
      if (response.status() === 200 && (response.headers()["grpc-status"] ?? "0") === "0") entry.ok += 1;
      else entry.failed += 1;
      calls.set(method, entry);
    });
    await page.goto(server.url);
    // The SPA's start-up calls: heartbeat, splits, counts, metadata, the first grid pages, runs.
    for (const method of ["ExperimentCommand", "GetDataSplits", "ApplyDataQuery", "GetMetaData", "GetDataSamples", "ListExperimentRuns"]) {
      await until(`a successful ${method} call from the stock Studio`, () => (calls.get(method)?.ok ?? 0) > 0, 60000);
    }
    // The grid shows decoded images.
    await until("thumbnails in the stock Studio's grid", () =>
      page.evaluate(() => [...document.querySelectorAll("img")].filter((img) => img.complete && img.naturalWidth > 0 && img.naturalWidth <= 1024).length >= 4),
      60000,
    );
    await shot(page, "weights-studio-2.0.3");
    for (const [method, entry] of calls) assert.equal(entry.failed, 0, `${method}: ${entry.failed} failed calls`);
  } finally {
    await browser.close();
    await server.dispose();
  }
});
