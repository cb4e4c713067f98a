//! Holds training for a moment while a person browses the sample grid (the pointer moving over
//! it, or the grid scrolling), so that a machine with few cores gives the Studio the CPU it
//! needs to draw smoothly. A switch in the grid's status line turns it off (remembered in this
//! browser); the server may also have it off.

import { Code } from "@connectrpc/connect";
import { h } from "../dom";
import { bus, state } from "../store";
import { HOLD_SWITCH_KEY, type HoldOutcome } from "./holdcalls";
import { holdLine, type HoldLine } from "./holdline";

/** Each request holds this long, so a slow answer never lets the hold lapse mid-scroll. */
const HOLD_MS = 800;
/** While the scroll goes on, the hold is renewed this often. */
const RENEW_MS = 250;
/** Once the scroll rests, the hold goes on while the grid fills in the cells on screen, for at
 *  most this long... */
const CATCH_UP_MAX_MS = 2000;
/** ...and then this much longer, while thumbnails decode and the charts catch up. */
const TAIL_MS = 400;

function saved(): boolean {
  try {
    return localStorage.getItem(HOLD_SWITCH_KEY) !== "off";
  } catch {
    return true;
  }
}

function save(on: boolean): void {
  try {
    localStorage.setItem(HOLD_SWITCH_KEY, on ? "on" : "off");
  } catch {
    // Storage disabled: the choice lasts for this page.
  }
}

export class BrowseHold {
  readonly el: HTMLLabelElement;
  private box: HTMLInputElement;
  /** A scroll is on: holds are renewed until the screen is filled in (see start and finish). */
  private browsing = false;
  /** The line renews holds now: while browsing, and training wants them. */
  private renewing = false;
  private catchUp: ReturnType<typeof setTimeout> | undefined;
  /** When the last hold went out from here: the pointer renews at most every RENEW_MS, and a
   *  scroll that starts within a running hold sends no new one at once. */
  private lastSent = -Infinity;
  /** False once the server turned out to have no StudioService (another WeightsLab server). */
  private offered = true;
  private line: HoldLine = holdLine((outcome) => this.hear(outcome));

  /** `grid`: the element whose pointer movements announce a scroll that may follow. */
  constructor(grid: HTMLElement) {
    this.box = h("input", { type: "checkbox", "data-action": "hold-while-browsing" });
    this.box.checked = saved();
    this.box.addEventListener("change", () => {
      save(this.box.checked);
      this.sync();
      if (!this.box.checked) this.send(0);
    });
    this.el = h("label", { class: "hold-switch" }, this.box, "Hold training while I browse");
    this.describe(null);
    bus.on("scrolling", (on) => (on ? this.start() : this.stop()));
    bus.on("shown", () => this.finish());
    // Training paused, or the server went away, mid-scroll: the renewals stop until it comes back.
    bus.on("hps", () => this.sync());
    bus.on("conn", () => this.sync());
    // A pointer moving over the grid comes before the wheel: holding already then spares the
    // scroll's first frames the wait for the trainer's step in flight.
    grid.addEventListener("pointermove", () => this.intent(), { passive: true });
  }

  /** A short hold that runs out by itself, renewed at most every RENEW_MS while the pointer moves. */
  private intent(): void {
    if (this.browsing || performance.now() - this.lastSent < RENEW_MS || !this.wanted()) return;
    this.send(HOLD_MS);
  }

  private wanted(): boolean {
    return this.offered && this.box.checked && !this.box.disabled && state.training && state.conn === "online";
  }

  private start(): void {
    clearTimeout(this.catchUp);
    this.catchUp = undefined;
    if (this.browsing) return;
    this.browsing = true;
    this.sync();
  }

  /** Starts or stops the line's renewals to match: browsing, and holds wanted. A hold still
   *  running from the pointer is renewed on time; otherwise the first goes out at once. */
  private sync(): void {
    const want = this.browsing && this.wanted();
    if (want === this.renewing) return;
    this.renewing = want;
    if (want) {
      const now = performance.now() - this.lastSent >= RENEW_MS;
      if (now) this.lastSent = performance.now();
      this.line.renew(HOLD_MS, RENEW_MS, now);
    } else this.line.stopRenewing();
  }

  /** The scroll rested: keep holding until the grid has filled in the screen ("shown"). */
  private stop(): void {
    if (!this.browsing) return;
    clearTimeout(this.catchUp);
    this.catchUp = setTimeout(() => this.finish(), CATCH_UP_MAX_MS);
  }

  /** The screen is filled in (or the catch-up ran out): a last short hold, then training goes on. */
  private finish(): void {
    if (!this.browsing) return;
    clearTimeout(this.catchUp);
    this.catchUp = undefined;
    this.browsing = false;
    this.sync();
    if (this.wanted()) this.send(TAIL_MS);
  }

  /** Best effort: a lost hint costs a little smoothness, never a message in a person's way. A
   *  pointer's hold is skipped while a call is on its way; a release or a tail always goes out. */
  private send(holdMs: number): void {
    this.lastSent = performance.now();
    void this.line.once(holdMs, holdMs === HOLD_MS).then((outcome) => {
      if ("reply" in outcome && (outcome.reply.held || holdMs === 0 || !outcome.reply.message)) {
        this.describe(outcome.reply.heldSecondsTotal);
      } else this.hear(outcome);
    });
  }

  /** What a hold's outcome tells the switch: the server has holds off, or has no StudioService. */
  private hear(outcome: HoldOutcome): void {
    if ("reply" in outcome && !outcome.reply.held && outcome.reply.message) {
      // The server has holds switched off: say so on the switch instead of asking again.
      this.box.checked = false;
      this.box.disabled = true;
      this.el.title = outcome.reply.message;
      this.sync();
    } else if ("code" in outcome && outcome.code === Code.Unimplemented) {
      this.offered = false;
      this.el.hidden = true;
      this.sync();
    }
  }

  private describe(heldSeconds: number | null): void {
    const cost = heldSeconds === null ? "" : ` So far training has waited ${heldSeconds.toFixed(1)} s for the Studio.`;
    this.el.title = `While you scroll the samples or move the pointer over them, training waits; it goes on once the grid has filled in the screen (or ${HOLD_MS} ms after the pointer stops), so that the Studio stays smooth on a machine with few cores.${cost}`;
  }
}
