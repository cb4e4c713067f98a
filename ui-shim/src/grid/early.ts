//! The first grid pages that index.html asks for while the app's code is still loading: the
//! grid takes these answers instead of asking again, so the first screen waits for one round
//! trip that overlapped the code's loading rather than one that starts after it. They are
//! decoded with protobuf-es's wire reader and no message descriptors: building the
//! descriptors of the whole service took 110–150 ms of this thread before the first screen,
//! so the RPC client (and they) load after it (see api.ts).

import { BinaryReader, WireType } from "@bufbuild/protobuf/wire";
import type { DataRecord, DataSamplesResponse, DataStat } from "../gen/experiment_service_pb.js";
import { PAGE_SIZE } from "./pages";

/** What index.html leaves on `window`: per first index, the raw gRPC-Web answer (null when
 *  the request failed) of a page of PAGE_SIZE samples with thumbnails. */
declare global {
  interface Window {
    __wlEarlyPages?: Record<string, Promise<ArrayBuffer | null> | undefined>;
  }
}

/** Whether an early answer for this page is still waiting to be taken (index.html asked for
 *  pages with thumbnails only). */
export function hasEarlyPage(start: number, count: number, withImages: boolean): boolean {
  return withImages && count === PAGE_SIZE && window.__wlEarlyPages?.[String(start)] !== undefined;
}

/** Takes the early answer for samples [start, start + count), if index.html asked for exactly
 *  that page: the decoded response, or undefined when there is none or it did not succeed (the
 *  caller then asks the usual way, which reports any error). Each answer is taken once. */
export async function takeEarlyPage(start: number, count: number): Promise<DataSamplesResponse | undefined> {
  if (!hasEarlyPage(start, count, true)) return undefined;
  const pages = window.__wlEarlyPages as Record<string, Promise<ArrayBuffer | null> | undefined>;
  const pending = pages[String(start)];
  pages[String(start)] = undefined;
  const body = await pending?.catch(() => null);
  if (!body) return undefined;
  const message = unaryMessage(new Uint8Array(body));
  if (!message) return undefined;
  try {
    return decodeDataSamplesResponse(message);
  } catch {
    return undefined;
  }
}

/** A DataSamplesResponse read field by field, equal to what `fromBinary` makes of it (early.test.ts
 *  checks both on the same bytes). Unknown fields are skipped; repeated numbers may come packed
 *  or not, as the wire format allows. */
export function decodeDataSamplesResponse(bytes: Uint8Array): DataSamplesResponse {
  const reader = new BinaryReader(bytes);
  const res: DataSamplesResponse = {
    $typeName: "DataSamplesResponse",
    success: false,
    message: "",
    dataRecords: [],
    isSubview: false,
    viewCount: 0n,
    totalCount: 0n,
  };
  while (reader.pos < reader.len) {
    const [field, wire] = reader.tag();
    if (field === 1 && wire === WireType.Varint) res.success = reader.bool();
    else if (field === 2 && wire === WireType.LengthDelimited) res.message = reader.string();
    else if (field === 3 && wire === WireType.LengthDelimited) res.dataRecords.push(decodeRecord(reader.bytes()));
    else if (field === 4 && wire === WireType.Varint) res.isSubview = reader.bool();
    else if (field === 5 && wire === WireType.Varint) res.viewCount = BigInt(reader.int64());
    else if (field === 6 && wire === WireType.Varint) res.totalCount = BigInt(reader.int64());
    else reader.skip(wire, field);
  }
  return res;
}

function decodeRecord(bytes: Uint8Array): DataRecord {
  const reader = new BinaryReader(bytes);
  const record: DataRecord = { $typeName: "DataRecord", sampleId: "", dataStats: [] };
  while (reader.pos < reader.len) {
    const [field, wire] = reader.tag();
    if (field === 1 && wire === WireType.LengthDelimited) record.sampleId = reader.string();
    else if (field === 2 && wire === WireType.LengthDelimited) record.dataStats.push(decodeStat(reader.bytes()));
    else reader.skip(wire, field);
  }
  return record;
}

function decodeStat(bytes: Uint8Array): DataStat {
  const reader = new BinaryReader(bytes);
  const stat: DataStat = {
    $typeName: "DataStat",
    name: "",
    type: "",
    shape: [],
    value: [],
    valueString: "",
    thumbnail: new Uint8Array(0),
  };
  while (reader.pos < reader.len) {
    const [field, wire] = reader.tag();
    if (field === 1 && wire === WireType.LengthDelimited) stat.name = reader.string();
    else if (field === 2 && wire === WireType.LengthDelimited) stat.type = reader.string();
    else if (field === 3 && wire === WireType.Varint) stat.shape.push(reader.int32());
    else if (field === 3 && wire === WireType.LengthDelimited) readPacked(reader, () => stat.shape.push(reader.int32()));
    else if (field === 4 && wire === WireType.Bit32) stat.value.push(reader.float());
    else if (field === 4 && wire === WireType.LengthDelimited) readPacked(reader, () => stat.value.push(reader.float()));
    else if (field === 5 && wire === WireType.LengthDelimited) stat.valueString = reader.string();
    else if (field === 6 && wire === WireType.LengthDelimited) stat.thumbnail = reader.bytes();
    else reader.skip(wire, field);
  }
  return stat;
}

/** Reads a packed run: its byte length, then items until the run's end. */
function readPacked(reader: BinaryReader, readItem: () => void): void {
  const end = reader.uint32() + reader.pos;
  while (reader.pos < end) readItem();
}

/** The message of a gRPC-Web (binary) unary answer whose trailer frame says grpc-status 0;
 *  undefined for anything else. Frames: a flag byte (0x00 data, 0x80 trailers), a 4-byte
 *  big-endian length, the payload. */
export function unaryMessage(body: Uint8Array): Uint8Array | undefined {
  let message: Uint8Array | undefined;
  let ok = false;
  let at = 0;
  while (at + 5 <= body.length) {
    const flag = body[at];
    const length = ((body[at + 1] << 24) | (body[at + 2] << 16) | (body[at + 3] << 8) | body[at + 4]) >>> 0;
    const end = at + 5 + length;
    if (end > body.length) return undefined;
    const payload = body.subarray(at + 5, end);
    if (flag === 0x00 && message === undefined) message = payload;
    else if (flag & 0x80) ok = /^grpc-status:\s*0\s*$/im.test(new TextDecoder().decode(payload));
    else return undefined;
    at = end;
  }
  return ok && at === body.length ? message : undefined;
}
