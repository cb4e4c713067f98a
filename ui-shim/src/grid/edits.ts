//! Sample edits over EditDataSample: tag, untag, discard and restore a set of samples.

import { api } from "../api";

export function tagSamples(ids: string[], origins: string[], tag: string): Promise<true> {
  return edit("EDIT_ACCUMULATE", { statName: "tags", stringValue: tag }, ids, origins);
}

export function untagSamples(ids: string[], origins: string[], tag: string): Promise<true> {
  return edit("EDIT_REMOVE", { statName: "tags", stringValue: tag }, ids, origins);
}

export function setDiscarded(ids: string[], origins: string[], discarded: boolean): Promise<true> {
  return edit("EDIT_OVERRIDE", { statName: "discarded", boolValue: discarded }, ids, origins);
}

/** One EditDataSample call. The edit kinds come from the generated code, which loads with the
 *  RPC client (see api.ts). */
async function edit(
  kind: "EDIT_ACCUMULATE" | "EDIT_REMOVE" | "EDIT_OVERRIDE",
  change: { statName: string; stringValue?: string; boolValue?: boolean },
  ids: string[],
  origins: string[],
): Promise<true> {
  const { SampleEditType } = await import("../gen/experiment_service_pb.js");
  return checked(api.editDataSample({ ...change, type: SampleEditType[kind], samplesIds: ids, sampleOrigins: origins }));
}

/** Resolves true (so callers can tell success from a reported failure) or throws the server's reason. */
async function checked(p: Promise<{ success: boolean; message: string }>): Promise<true> {
  const res = await p;
  if (!res.success) throw new Error(res.message || "the server refused the edit");
  return true;
}
