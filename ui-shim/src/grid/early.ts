//! The first grid pages that index.html asks for while the app's code is still loading: the
//! grid takes these answers instead of asking again, so the first screen waits for one round
//! trip that overlapped the code's loading rather than one that starts after it.

import { fromBinary } from "@bufbuild/protobuf";
import { DataSamplesResponseSchema, type DataSamplesResponse } from "../gen/experiment_service_pb.js";
import { PAGE_SIZE } from "./pages";

/** What index.html leaves on `window`: per first index, the raw gRPC-Web answer (null when
 *  the request failed) of a page of PAGE_SIZE samples with thumbnails. */
declare global {
  interface Window {
    __wlEarlyPages?: Record<string, Promise<ArrayBuffer | null> | undefined>;
  }
}

/** Whether an early answer for this page is still waiting to be taken. */
export function hasEarlyPage(start: number, count: number): boolean {
  return count === PAGE_SIZE && window.__wlEarlyPages?.[String(start)] !== undefined;
}

/** Takes the early answer for samples [start, start + count), if index.html asked for exactly
 *  that page: the decoded response, or undefined when there is none or it did not succeed (the
 *  caller then asks the usual way, which reports any error). Each answer is taken once. */
export async function takeEarlyPage(start: number, count: number): Promise<DataSamplesResponse | undefined> {
  if (!hasEarlyPage(start, count)) return undefined;
  const pages = window.__wlEarlyPages as Record<string, Promise<ArrayBuffer | null> | undefined>;
  const pending = pages[String(start)];
  pages[String(start)] = undefined;
  const body = await pending?.catch(() => null);
  if (!body) return undefined;
  const message = unaryMessage(new Uint8Array(body));
  if (!message) return undefined;
  try {
    return fromBinary(DataSamplesResponseSchema, message);
  } catch {
    return undefined;
  }
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
