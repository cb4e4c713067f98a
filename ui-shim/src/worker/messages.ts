//! The messages between the page and the Studio's worker (see worker.ts): grid pages, and the
//! hold's calls.

import { ConnectError } from "@connectrpc/connect";
import type { Credentials } from "../client";
import type { HoldOutcome } from "../controls/holdcalls";
import type { PageResult } from "../grid/wire";

/** Page to worker. Every call carries the credentials: the token may change while the page is
 *  open. */
export type ToWorker =
  | ({ kind: "fetch"; id: number; start: number; count: number; withImages: boolean } & Credentials)
  | { kind: "abort"; id: number }
  /** One hold (see HoldCalls.once), answered by a "hold" message with the same id. */
  | ({ kind: "hold"; id: number; holdMs: number; skippable: boolean } & Credentials)
  /** Renew a hold until "renew-stop" (see HoldCalls.renew); only news comes back. */
  | ({ kind: "renew"; holdMs: number; everyMs: number; now: boolean } & Credentials)
  | { kind: "renew-stop" };

/** Worker to page: a page or its failure, a hold's outcome, or a renewal's news. */
export type FromWorker =
  | { kind: "page"; id: number; page: PageResult }
  | { kind: "page-failed"; id: number; code: number; message: string }
  | { kind: "hold"; id: number; outcome: HoldOutcome }
  | { kind: "renewal"; outcome: HoldOutcome };

/** The failure of a call as it crosses threads: Connect's code and raw message. */
export function describeFailure(err: unknown): { code: number; message: string } {
  const e = ConnectError.from(err);
  return { code: e.code, message: e.rawMessage };
}
