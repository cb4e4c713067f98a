//! The hold's HoldTraining calls and their renewal while a person scrolls, wherever they run: in
//! the Studio's worker, or on the main thread where there is no worker (see holdline.ts).

import { Code } from "@connectrpc/connect";
import { describeFailure } from "../worker/messages";

/** Where this browser remembers the hold switch: "off" once a person turned it off. index.html
 *  reads it too, before the app's code has loaded. */
export const HOLD_SWITCH_KEY = "weightslab.holdWhileBrowsing";

/** The hold index.html asks for the moment the page starts loading, so that a busy trainer does
 *  not share the CPU with the first screen (src/grid/early.test.ts checks its bytes). */
export const LOAD_HOLD_MS = 1000;

export interface HoldReply {
  held: boolean;
  message: string;
  heldSecondsTotal: number;
}

/** A call's outcome as it crosses threads: the reply, a failure as Connect's code and raw
 *  message, or nothing sent because a call was already on its way. */
export type HoldOutcome = { reply: HoldReply } | { code: number; message: string } | { skipped: true };

/** What the page must hear of a renewal: the server has holds off, or has no StudioService
 *  (another WeightsLab server). Anything else a renewal meets is left unsaid: a lost hold costs
 *  a little smoothness, never a message in a person's way. */
export function isNews(outcome: HoldOutcome): boolean {
  if ("reply" in outcome) return !outcome.reply.held && outcome.reply.message !== "";
  return "code" in outcome && outcome.code === Code.Unimplemented;
}

export class HoldCalls {
  private inFlight = false;
  private timer: ReturnType<typeof setInterval> | undefined;

  /** `call` sends one hold; `tell` hears the renewals' news (see isNews). */
  constructor(
    private readonly call: (holdMs: number) => Promise<HoldReply>,
    private readonly tell: (outcome: HoldOutcome) => void,
  ) {}

  /** One hold of `holdMs` (0 releases it). A `skippable` one is not sent while another call is
   *  on its way: that one holds as long. */
  async once(holdMs: number, skippable: boolean): Promise<HoldOutcome> {
    if (skippable && this.inFlight) return { skipped: true };
    this.inFlight = true;
    try {
      const reply = await this.call(holdMs);
      return { reply: { held: reply.held, message: reply.message, heldSecondsTotal: reply.heldSecondsTotal } };
    } catch (err) {
      return describeFailure(err);
    } finally {
      this.inFlight = false;
    }
  }

  /** Sends a hold of `holdMs` every `everyMs` until stopRenewing (the first at once, in a task
   *  of its own, when `now`); replaces any renewal running. */
  renew(holdMs: number, everyMs: number, now: boolean): void {
    this.stopRenewing();
    const tick = () => {
      // A first hold still queued when this renewal was stopped stays unsent.
      if (this.timer !== timer) return;
      void this.once(holdMs, true).then((outcome) => {
        if (isNews(outcome)) this.tell(outcome);
      });
    };
    const timer = setInterval(tick, everyMs);
    this.timer = timer;
    if (now) setTimeout(tick, 0);
  }

  stopRenewing(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  get renewing(): boolean {
    return this.timer !== undefined;
  }
}
