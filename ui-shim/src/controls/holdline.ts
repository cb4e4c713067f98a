//! Where the hold's calls go out: through the Studio's worker, or on the main thread where there
//! is none (or it failed). Starting a call's `fetch` cost the main thread 2.5–5.6 ms in traces of
//! a fast scroll, about 30 times a scroll; posting a message to the worker costs next to nothing.

import { Code } from "@connectrpc/connect";
import { currentAuth, studioApi } from "../api";
import { studioWorker, type WorkerLink } from "../worker/link";
import { HoldCalls, type HoldOutcome } from "./holdcalls";

export interface HoldLine {
  /** One hold (see HoldCalls.once). */
  once(holdMs: number, skippable: boolean): Promise<HoldOutcome>;
  /** Renews a hold until stopRenewing (see HoldCalls.renew); its news goes to `onNews`. */
  renew(holdMs: number, everyMs: number, now: boolean): void;
  stopRenewing(): void;
}

class MainThreadLine implements HoldLine {
  private calls: HoldCalls;
  constructor(onNews: (outcome: HoldOutcome) => void) {
    this.calls = new HoldCalls((holdMs) => studioApi.holdTraining({ holdMs }), onNews);
  }
  once(holdMs: number, skippable: boolean): Promise<HoldOutcome> {
    return this.calls.once(holdMs, skippable);
  }
  renew(holdMs: number, everyMs: number, now: boolean): void {
    this.calls.renew(holdMs, everyMs, now);
  }
  stopRenewing(): void {
    this.calls.stopRenewing();
  }
}

class WorkerLine implements HoldLine {
  private fallback: MainThreadLine;
  constructor(
    private readonly link: WorkerLink,
    onNews: (outcome: HoldOutcome) => void,
  ) {
    this.fallback = new MainThreadLine(onNews);
    link.listen((news) => {
      if (news.kind === "renewal") onNews(news.outcome);
    });
  }
  async once(holdMs: number, skippable: boolean): Promise<HoldOutcome> {
    if (this.link.failed) return this.fallback.once(holdMs, skippable);
    try {
      const msg = await this.link.ask((id) => ({ kind: "hold", id, holdMs, skippable, ...currentAuth() })).answer;
      return msg.kind === "hold" ? msg.outcome : { code: Code.Internal, message: `the worker answered a hold with "${msg.kind}"` };
    } catch {
      // The worker failed with this call on its way: send it from here.
      return this.fallback.once(holdMs, skippable);
    }
  }
  renew(holdMs: number, everyMs: number, now: boolean): void {
    if (this.link.failed) this.fallback.renew(holdMs, everyMs, now);
    else this.link.post({ kind: "renew", holdMs, everyMs, now, ...currentAuth() });
  }
  stopRenewing(): void {
    this.fallback.stopRenewing();
    if (!this.link.failed) this.link.post({ kind: "renew-stop" });
  }
}

export function holdLine(onNews: (outcome: HoldOutcome) => void): HoldLine {
  return studioWorker ? new WorkerLine(studioWorker, onNews) : new MainThreadLine(onNews);
}
