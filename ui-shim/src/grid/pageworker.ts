//! The page worker: grid pages are fetched, decoded and their thumbnails turned into data: URLs
//! here, off the main thread, which only receives ready Samples and URLs.

import { makeClient } from "../client";
import { describeFailure, loadPage, type FromWorker, type ToWorker } from "./wire";

interface WorkerScope {
  location: { origin: string };
  postMessage(message: FromWorker): void;
  addEventListener(type: "message", listener: (e: MessageEvent<ToWorker>) => void): void;
}
const scope = self as unknown as WorkerScope;

let auth: { token: string | null; clientId: string } = { token: null, clientId: "" };
const client = makeClient(scope.location.origin, () => auth);
const calls = new Map<number, AbortController>();

scope.addEventListener("message", (e) => {
  const msg = e.data;
  switch (msg.kind) {
    case "fetch":
      void fetchPage(msg);
      break;
    case "abort":
      calls.get(msg.id)?.abort();
      calls.delete(msg.id);
      break;
  }
});

async function fetchPage(msg: Extract<ToWorker, { kind: "fetch" }>): Promise<void> {
  auth = { token: msg.token, clientId: msg.clientId };
  const ctl = new AbortController();
  calls.set(msg.id, ctl);
  try {
    const page = await loadPage(client, msg.start, msg.count, msg.withImages, ctl.signal);
    // Nobody waits for this page any more.
    if (ctl.signal.aborted) return;
    scope.postMessage({ id: msg.id, page });
  } catch (err) {
    if (!ctl.signal.aborted) scope.postMessage({ id: msg.id, ...describeFailure(err) });
  } finally {
    calls.delete(msg.id);
  }
}
