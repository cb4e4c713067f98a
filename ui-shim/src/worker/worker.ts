//! The Studio's worker: grid pages are fetched, decoded and their thumbnails turned into data:
//! URLs here, and the hold's HoldTraining calls go out from here, off the main thread, which
//! only posts requests and receives ready Samples, URLs and the news of a hold.

import { makeClient, makeStudioClient, type Credentials } from "../client";
import { HoldCalls } from "../controls/holdcalls";
import { loadPage } from "../grid/wire";
import { describeFailure, type FromWorker, type ToWorker } from "./messages";

interface WorkerScope {
  location: { origin: string };
  postMessage(message: FromWorker): void;
  addEventListener(type: "message", listener: (e: MessageEvent<ToWorker>) => void): void;
}
const scope = self as unknown as WorkerScope;

let auth: Credentials = { token: null, clientId: "" };
const client = makeClient(scope.location.origin, () => auth);
const studio = makeStudioClient(scope.location.origin, () => auth);
const calls = new Map<number, AbortController>();
const holds = new HoldCalls(
  (holdMs) => studio.holdTraining({ holdMs }),
  (outcome) => scope.postMessage({ kind: "renewal", outcome }),
);

scope.addEventListener("message", (e) => {
  const msg = e.data;
  // Calls go out with the credentials of the latest message that carried them.
  if ("token" in msg) auth = { token: msg.token, clientId: msg.clientId };
  switch (msg.kind) {
    case "fetch":
      void fetchPage(msg);
      break;
    case "abort":
      calls.get(msg.id)?.abort();
      calls.delete(msg.id);
      break;
    case "hold":
      void holds.once(msg.holdMs, msg.skippable).then((outcome) => scope.postMessage({ kind: "hold", id: msg.id, outcome }));
      break;
    case "renew":
      holds.renew(msg.holdMs, msg.everyMs, msg.now);
      break;
    case "renew-stop":
      holds.stopRenewing();
      break;
  }
});

async function fetchPage(msg: Extract<ToWorker, { kind: "fetch" }>): Promise<void> {
  const ctl = new AbortController();
  calls.set(msg.id, ctl);
  try {
    const page = await loadPage(client, msg.start, msg.count, msg.withImages, ctl.signal);
    // Nobody waits for this page any more.
    if (ctl.signal.aborted) return;
    scope.postMessage({ kind: "page", id: msg.id, page });
  } catch (err) {
    if (!ctl.signal.aborted) scope.postMessage({ kind: "page-failed", id: msg.id, ...describeFailure(err) });
  } finally {
    calls.delete(msg.id);
  }
}
