//! The page worker: grid pages are fetched, decoded and their thumbnails registered as blob
//! URLs here, off the main thread. Registering a blob is a round trip to the browser process
//! that cost about a millisecond a thumbnail on the UI thread, and a busy machine stretched
//! that into frames of 50 ms and more while a person scrolled.

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
    case "revoke":
      for (const u of msg.urls) if (u) URL.revokeObjectURL(u);
      break;
  }
});

async function fetchPage(msg: Extract<ToWorker, { kind: "fetch" }>): Promise<void> {
  auth = { token: msg.token, clientId: msg.clientId };
  const ctl = new AbortController();
  calls.set(msg.id, ctl);
  try {
    const page = await loadPage(client, msg.start, msg.count, msg.withImages, ctl.signal);
    if (ctl.signal.aborted) {
      // Nobody waits for this page any more: its URLs would never be revoked.
      for (const u of page.urls) if (u) URL.revokeObjectURL(u);
      return;
    }
    scope.postMessage({ id: msg.id, page });
  } catch (err) {
    if (!ctl.signal.aborted) scope.postMessage({ id: msg.id, ...describeFailure(err) });
  } finally {
    calls.delete(msg.id);
  }
}
