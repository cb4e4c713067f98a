// The token flow: a server that requires a token answers UNAUTHENTICATED, the Studio asks for
// the token, sends it as `authorization: Bearer <t>`, keeps it in localStorage and connects.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { Server, launchBrowser, shot, thumbIn } from "./harness.mjs";

const TOKEN = "e2e-secret-token";
let server;
let browser;

before(async () => {
  server = new Server({ token: TOKEN });
  await server.start();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.dispose();
});

test("the token prompt appears on UNAUTHENTICATED and the token is used and kept", { timeout: 90000 }, async () => {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const sentAuth = [];
  page.on("request", (r) => {
    if (r.url().includes("/ExperimentService/")) sentAuth.push(r.headers()["authorization"] ?? "");
  });
  await page.goto(server.url + "/");
  await page.waitForSelector('.modal[aria-label="This server needs an access token"] input', { timeout: 15000 });
  assert.equal(await page.getAttribute("body", "data-conn"), "auth");
  await shot(page, "10-token-prompt");
  await page.fill(".modal input", TOKEN);
  await page.keyboard.press("Enter");
  await page.waitForFunction(() => document.body.dataset.conn === "online", null, { timeout: 15000 });
  assert.ok(sentAuth.includes(`Bearer ${TOKEN}`), "calls after the prompt carry the bearer token");
  assert.equal(await page.evaluate(() => localStorage.getItem("weightslab.token")), TOKEN);
  await page.waitForSelector(thumbIn(".cell"), { timeout: 20000 });

  // A reload reuses the stored token without asking again.
  await page.reload();
  await page.waitForFunction(() => document.body.dataset.conn === "online", null, { timeout: 15000 });
  assert.equal(await page.$(".modal"), null, "no prompt once the token is stored");
  await shot(page, "11-after-token");
});
