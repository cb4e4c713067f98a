//! Sample edits over EditDataSample: tag, untag, discard and restore a set of samples.

import { api } from "../api";

/** The edit kinds, from the generated code, which loads with the RPC client (see api.ts). */
const editTypes = () => import("../gen/experiment_service_pb.js").then((gen) => gen.SampleEditType);

export async function tagSamples(ids: string[], origins: string[], tag: string): Promise<true> {
  const type = (await editTypes()).EDIT_ACCUMULATE;
  return checked(api.editDataSample({ statName: "tags", stringValue: tag, type, samplesIds: ids, sampleOrigins: origins }));
}

export async function untagSamples(ids: string[], origins: string[], tag: string): Promise<true> {
  const type = (await editTypes()).EDIT_REMOVE;
  return checked(api.editDataSample({ statName: "tags", stringValue: tag, type, samplesIds: ids, sampleOrigins: origins }));
}

export async function setDiscarded(ids: string[], origins: string[], discarded: boolean): Promise<true> {
  const type = (await editTypes()).EDIT_OVERRIDE;
  return checked(api.editDataSample({ statName: "discarded", boolValue: discarded, type, samplesIds: ids, sampleOrigins: origins }));
}

/** Resolves true (so callers can tell success from a reported failure) or throws the server's reason. */
async function checked(p: Promise<{ success: boolean; message: string }>): Promise<true> {
  const res = await p;
  if (!res.success) throw new Error(res.message || "the server refused the edit");
  return true;
}
