import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { create, toBinary } from "@bufbuild/protobuf";
import { DataSamplesRequestSchema, DataSamplesResponseSchema } from "../gen/experiment_service_pb.js";
import { takeEarlyPage, unaryMessage } from "./early";
import { PAGE_SIZE } from "./pages";
import { THUMB_PX } from "./wire";

function frame(flag: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(5 + payload.length);
  out[0] = flag;
  new DataView(out.buffer).setUint32(1, payload.length);
  out.set(payload, 5);
  return out;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const trailers = (status: number) => frame(0x80, new TextEncoder().encode(`grpc-status:${status}\r\ngrpc-message:\r\n`));

test("index.html asks for the first pages exactly as the grid would", async () => {
  // npm test runs from ui-shim/, where index.html lives.
  const html = fs.readFileSync(path.resolve(process.cwd(), "index.html"), "utf8");
  const script = /<script id="wl-early-pages">([\s\S]*?)<\/script>/.exec(html)?.[1];
  assert.ok(script, "index.html has the early-pages script");
  const calls: { url: string; init: RequestInit }[] = [];
  const fakeWindow: { __wlEarlyPages?: Record<string, Promise<ArrayBuffer | null>> } = {};
  const fakeFetch = (url: string, init: RequestInit) => {
    calls.push({ url, init });
    return Promise.resolve(new Response(new Uint8Array([0, 0, 0, 0, 0]), { headers: { "grpc-status": "0" } }));
  };
  const storage = { getItem: (key: string) => (key === "weightslab.token" ? "secret" : null) };
  new Function("window", "localStorage", "fetch", script)(fakeWindow, storage, fakeFetch);

  assert.deepEqual(Object.keys(fakeWindow.__wlEarlyPages ?? {}).sort(), ["0", "32"]);
  assert.equal(calls.length, 2);
  for (const [i, call] of calls.entries()) {
    const start = i * PAGE_SIZE;
    const expected = toBinary(
      DataSamplesRequestSchema,
      create(DataSamplesRequestSchema, { startIndex: start, recordsCnt: PAGE_SIZE, includeRawData: true, resizeWidth: THUMB_PX, resizeHeight: THUMB_PX }),
    );
    assert.equal(call.url, "/ExperimentService/GetDataSamples");
    assert.deepEqual([...(call.init.body as Uint8Array)], [...frame(0, expected)], `page at ${start}`);
    const headers = call.init.headers as Record<string, string>;
    assert.equal(headers.authorization, "Bearer secret");
    assert.equal(headers["content-type"], "application/grpc-web+proto");
  }
  assert.ok((await fakeWindow.__wlEarlyPages?.["0"]) instanceof ArrayBuffer);
});

test("only an answer that ends with grpc-status 0 yields its message", () => {
  const message = new Uint8Array([8, 1]);
  assert.deepEqual(unaryMessage(concat(frame(0, message), trailers(0))), message);
  assert.equal(unaryMessage(concat(frame(0, message), trailers(16))), undefined, "an error status");
  assert.equal(unaryMessage(frame(0, message)), undefined, "no trailers");
  assert.equal(unaryMessage(concat(frame(0, message), trailers(0)).subarray(0, 9)), undefined, "cut short");
  assert.equal(unaryMessage(concat(frame(1, message), trailers(0))), undefined, "a compressed frame");
});

test("the grid takes each early page once, and only for the page that was asked for", async () => {
  const reply = toBinary(DataSamplesResponseSchema, create(DataSamplesResponseSchema, { success: true, viewCount: 10000n }));
  const body = concat(frame(0, reply), trailers(0));
  const g = globalThis as unknown as { window?: { __wlEarlyPages?: Record<string, Promise<ArrayBuffer | null> | undefined> } };
  g.window = { __wlEarlyPages: { "0": Promise.resolve(body.slice().buffer), "32": Promise.resolve(null) } };
  try {
    assert.equal(await takeEarlyPage(0, 16), undefined, "another page size");
    const page = await takeEarlyPage(0, PAGE_SIZE);
    assert.equal(page?.viewCount, 10000n);
    assert.equal(await takeEarlyPage(0, PAGE_SIZE), undefined, "taken once");
    assert.equal(await takeEarlyPage(32, PAGE_SIZE), undefined, "a failed early request");
  } finally {
    delete g.window;
  }
});
