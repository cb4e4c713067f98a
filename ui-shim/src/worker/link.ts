//! The page's side of the Studio's worker (worker.ts): started once when the Studio loads; its
//! answers go to the calls that wait for them, its news to whoever listens, and its failure
//! fails the calls it holds.

import { Code, ConnectError } from "@connectrpc/connect";
import type { FromWorker, ToWorker } from "./messages";

type Answer = Extract<FromWorker, { id: number }>;
type News = Exclude<FromWorker, { id: number }>;

interface Waiting {
  resolve: (answer: Answer) => void;
  reject: (err: unknown) => void;
}

export class WorkerLink {
  /** The worker could not start or stopped: later calls go elsewhere. */
  failed = false;
  private waiting = new Map<number, Waiting>();
  private next = 0;
  private listeners: ((news: News) => void)[] = [];

  constructor(private readonly worker: Worker) {
    worker.addEventListener("message", (e: MessageEvent<FromWorker>) => this.receive(e.data));
    worker.addEventListener("error", (e) => {
      this.failed = true;
      const err = new ConnectError(`the Studio's worker failed: ${e.message || "it could not be started"}`, Code.Internal);
      for (const w of this.waiting.values()) w.reject(err);
      this.waiting.clear();
    });
  }

  /** Sends the message `build` makes with a fresh id; resolves with the worker's answer. */
  ask(build: (id: number) => ToWorker): { id: number; answer: Promise<Answer> } {
    const id = ++this.next;
    const answer = new Promise<Answer>((resolve, reject) => this.waiting.set(id, { resolve, reject }));
    this.post(build(id));
    return { id, answer };
  }

  /** Stops waiting for the answer to `id`; false when it had come already. */
  forget(id: number): boolean {
    return this.waiting.delete(id);
  }

  post(msg: ToWorker): void {
    this.worker.postMessage(msg);
  }

  /** Hears the messages that answer no call (a renewal's news). */
  listen(fn: (news: News) => void): void {
    this.listeners.push(fn);
  }

  private receive(msg: FromWorker): void {
    if (!("id" in msg)) {
      for (const l of this.listeners) l(msg);
      return;
    }
    const w = this.waiting.get(msg.id);
    // Forgotten on this side after the worker had answered: nobody waits for it.
    if (!w) return;
    this.waiting.delete(msg.id);
    w.resolve(msg);
  }
}

function start(): WorkerLink | undefined {
  try {
    return new WorkerLink(new Worker(new URL("./worker.ts", import.meta.url), { type: "module" }));
  } catch {
    return undefined;
  }
}

/** The Studio's one worker, started when the Studio loads so that it is up by the first calls
 *  it takes; undefined where workers are unavailable. */
export const studioWorker: WorkerLink | undefined = start();
