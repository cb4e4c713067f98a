//! Holds training for a moment while a person browses the sample grid (the pointer moving over
//! it, or the grid scrolling), so that a machine with few cores gives the Studio the CPU it
//! needs to draw smoothly. A switch in the grid's status line turns it off (remembered in this
//! browser); the server may also have it off.

import { Code, ConnectError } from "@connectrpc/connect";
import { h } from "../dom";
import { studioApi } from "../api";
import { bus, state } from "../store";

const KEY = "weightslab.holdWhileBrowsing";
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
    return localStorage.getItem(KEY) !== "off";
  } catch {
    return true;
  }
}

function save(on: boolean): void {
  try {
    localStorage.setItem(KEY, on ? "on" : "off");
  } catch {
    // Storage disabled: the choice lasts for this page.
  }
}

export class BrowseHold {
  readonly el: HTMLLabelElement;
  private box: HTMLInputElement;
  private renew: ReturnType<typeof setInterval> | undefined;
  private catchUp: ReturnType<typeof setTimeout> | undefined;
  private inFlight = false;
  /** When the last hold went out: the pointer renews at most every RENEW_MS, and a scroll
   *  that starts within a running hold sends no new one at once. */
  private lastSent = -Infinity;
  /** False once the server turned out to have no StudioService (another WeightsLab server). */
  private offered = true;

  /** `grid`: the element whose pointer movements announce a scroll that may follow. */
  constructor(grid: HTMLElement) {
    this.box = h("input", { type: "checkbox", "data-action": "hold-while-browsing" });
    this.box.checked = saved();
    this.box.addEventListener("change", () => {
      save(this.box.checked);
      if (!this.box.checked) this.send(0);
    });
    this.el = h("label", { class: "hold-switch" }, this.box, "Hold training while I browse");
    this.describe(null);
    bus.on("scrolling", (on) => (on ? this.start() : this.stop()));
    bus.on("shown", () => this.finish());
    // A pointer moving over the grid comes before the wheel: holding already then spares the
    // scroll's first frames the wait for the trainer's step in flight.
    grid.addEventListener("pointermove", () => this.intent(), { passive: true });
  }

  /** A short hold that runs out by itself, renewed at most every RENEW_MS while the pointer moves. */
  private intent(): void {
    if (this.renew !== undefined || performance.now() - this.lastSent < RENEW_MS || !this.wanted()) return;
    this.send(HOLD_MS);
  }

  private wanted(): boolean {
    return this.offered && this.box.checked && !this.box.disabled && state.training && state.conn === "online";
  }

  private start(): void {
    clearTimeout(this.catchUp);
    this.catchUp = undefined;
    if (!this.wanted() || this.renew !== undefined) return;
    // The scroll event runs in the frame that draws the scroll: a hold still running from the
    // pointer is renewed by the interval, and a new one goes out in a task of its own.
    if (performance.now() - this.lastSent >= RENEW_MS) {
      setTimeout(() => {
        if (this.wanted()) this.send(HOLD_MS);
      }, 0);
    }
    this.renew = setInterval(() => {
      if (this.wanted()) this.send(HOLD_MS);
    }, RENEW_MS);
  }

  /** The scroll rested: keep holding until the grid has filled in the screen ("shown"). */
  private stop(): void {
    if (this.renew === undefined) return;
    clearTimeout(this.catchUp);
    this.catchUp = setTimeout(() => this.finish(), CATCH_UP_MAX_MS);
  }

  /** The screen is filled in (or the catch-up ran out): a last short hold, then training goes on. */
  private finish(): void {
    if (this.renew === undefined) return;
    clearInterval(this.renew);
    clearTimeout(this.catchUp);
    this.renew = undefined;
    this.catchUp = undefined;
    if (this.wanted()) this.send(TAIL_MS);
  }

  /** Best effort: a lost hint costs a little smoothness, never a message in a person's way. */
  private send(holdMs: number): void {
    // A renewal may skip while one is on its way; a release or a tail always goes out.
    if (this.inFlight && holdMs === HOLD_MS) return;
    this.inFlight = true;
    this.lastSent = performance.now();
    studioApi
      .holdTraining({ holdMs })
      .then((reply) => {
        if (!reply.held && holdMs > 0 && reply.message) {
          // The server has holds switched off: say so on the switch instead of asking again.
          this.box.checked = false;
          this.box.disabled = true;
          this.el.title = reply.message;
          return;
        }
        this.describe(reply.heldSecondsTotal);
      })
      .catch((err: unknown) => {
        if (err instanceof ConnectError && err.code === Code.Unimplemented) {
          this.offered = false;
          this.el.hidden = true;
        }
      })
      .finally(() => {
        this.inFlight = false;
      });
  }

  private describe(heldSeconds: number | null): void {
    const cost = heldSeconds === null ? "" : ` So far training has waited ${heldSeconds.toFixed(1)} s for the Studio.`;
    this.el.title = `While you scroll the samples or move the pointer over them, training waits; it goes on once the grid has filled in the screen (or ${HOLD_MS} ms after the pointer stops), so that the Studio stays smooth on a machine with few cores.${cost}`;
  }
}
