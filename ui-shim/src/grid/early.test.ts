import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import { DataSamplesRequestSchema, DataSamplesResponseSchema } from "../gen/experiment_service_pb.js";
import { HoldTrainingRequestSchema } from "../gen/studio_service_pb.js";
import { HOLD_SWITCH_KEY, LOAD_HOLD_MS } from "../controls/holdcalls";
import { decodeDataSamplesResponse, takeEarlyPage, unaryMessage } from "./early";
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

type EarlyWindow = { __wlEarlyPages?: Record<string, Promise<ArrayBuffer | null>> };

/** Runs index.html's early script (npm test runs from ui-shim/, where it lives) with `stored` in
 *  localStorage and a fetch that answers an empty gRPC-Web message; returns its calls and the
 *  window it wrote to. */
function runEarlyScript(stored: Record<string, string>): { calls: { url: string; init: RequestInit }[]; win: EarlyWindow } {
  const html = fs.readFileSync(path.resolve(process.cwd(), "index.html"), "utf8");
  const script = /<script id="wl-early-pages">([\s\S]*?)<\/script>/.exec(html)?.[1];
  assert.ok(script, "index.html has the early-pages script");
  const calls: { url: string; init: RequestInit }[] = [];
  const fakeFetch = (url: string, init: RequestInit) => {
    calls.push({ url, init });
    return Promise.resolve(new Response(new Uint8Array([0, 0, 0, 0, 0]), { headers: { "grpc-status": "0" } }));
  };
  const win: EarlyWindow = {};
  new Function("window", "localStorage", "fetch", script)(win, { getItem: (key: string) => stored[key] ?? null }, fakeFetch);
  return { calls, win };
}

test("index.html asks for the first pages exactly as the grid would", async () => {
  const { calls, win } = runEarlyScript({ "weightslab.token": "secret" });
  assert.deepEqual(Object.keys(win.__wlEarlyPages ?? {}).sort(), ["0", "32"]);
  const pages = calls.filter((c) => c.url.endsWith("/GetDataSamples"));
  assert.equal(pages.length, 2);
  for (const [i, call] of pages.entries()) {
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
  assert.ok((await win.__wlEarlyPages?.["0"]) instanceof ArrayBuffer);
});

test("index.html holds training while the first screen loads, as the app would ask", () => {
  const holds = runEarlyScript({ "weightslab.token": "secret" }).calls.filter((c) => c.url.endsWith("/HoldTraining"));
  assert.equal(holds.length, 1);
  assert.equal(holds[0].url, "/weightslab.studio.StudioService/HoldTraining");
  const expected = toBinary(HoldTrainingRequestSchema, create(HoldTrainingRequestSchema, { holdMs: LOAD_HOLD_MS }));
  assert.deepEqual([...(holds[0].init.body as Uint8Array)], [...frame(0, expected)]);
  assert.equal((holds[0].init.headers as Record<string, string>).authorization, "Bearer secret");
});

test("index.html sends no hold where the person turned holds off", () => {
  const { calls } = runEarlyScript({ [HOLD_SWITCH_KEY]: "off" });
  assert.equal(calls.filter((c) => c.url.endsWith("/HoldTraining")).length, 0);
  assert.equal(calls.filter((c) => c.url.endsWith("/GetDataSamples")).length, 2, "the pages are still asked for");
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

test("the early pages' own decoder reads a page exactly as protobuf-es does", () => {
  const page = create(DataSamplesResponseSchema, {
    success: true,
    message: "page of 2 — ünïcode",
    isSubview: true,
    viewCount: 9_007_199_254_740_993n,
    totalCount: 10000n,
    dataRecords: [
      {
        sampleId: "17",
        dataStats: [
          { name: "label", type: "scalar", shape: [1], value: [3] },
          { name: "loss", type: "scalar", shape: [1], value: [0.125, -2.5e-7, Number.POSITIVE_INFINITY] },
          { name: "raw_data", type: "image", shape: [128, 128, 1], thumbnail: new Uint8Array([137, 80, 78, 71, 0, 255]) },
          { name: "tags", type: "string", valueString: "a;b" },
        ],
      },
      { sampleId: "18", dataStats: [] },
    ],
  });
  const bytes = toBinary(DataSamplesResponseSchema, page);
  assert.deepStrictEqual(decodeDataSamplesResponse(bytes), fromBinary(DataSamplesResponseSchema, bytes));
  assert.deepStrictEqual(decodeDataSamplesResponse(new Uint8Array(0)), fromBinary(DataSamplesResponseSchema, new Uint8Array(0)));
});

test("the early pages' decoder takes unpacked numbers and skips fields it does not know", () => {
  // DataStat with shape and value unpacked (allowed on the wire), plus unknown fields 9 and 15.
  const stat = new BinaryWriter()
    .tag(1, WireType.LengthDelimited).string("loss")
    .tag(3, WireType.Varint).int32(2)
    .tag(3, WireType.Varint).int32(-1)
    .tag(4, WireType.Bit32).float(1.5)
    .tag(9, WireType.Varint).int32(7)
    .tag(4, WireType.Bit32).float(2.5)
    .tag(15, WireType.LengthDelimited).string("later")
    .finish();
  const record = new BinaryWriter().tag(1, WireType.LengthDelimited).string("5").tag(2, WireType.LengthDelimited).bytes(stat).finish();
  const bytes = new BinaryWriter().tag(3, WireType.LengthDelimited).bytes(record).tag(1, WireType.Varint).bool(true).finish();
  const ours = decodeDataSamplesResponse(bytes);
  const theirs = fromBinary(DataSamplesResponseSchema, bytes, { readUnknownFields: false });
  assert.deepStrictEqual(ours, theirs);
  assert.deepEqual(ours.dataRecords[0].dataStats[0].shape, [2, -1]);
  assert.deepEqual(ours.dataRecords[0].dataStats[0].value, [1.5, 2.5]);
  assert.throws(() => decodeDataSamplesResponse(new Uint8Array([0x1a, 0x05, 0x0a])), "a record cut short");
});
