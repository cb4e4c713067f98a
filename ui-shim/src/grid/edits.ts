//! Sample edits over EditDataSample: tag, untag, discard and restore a set of samples.

import { api } from "../api";
import { SampleEditType } from "../gen/experiment_service_pb.js";

export function tagSamples(ids: string[], origins: string[], tag: string): Promise<true> {
  return checked(
    api.editDataSample({ statName: "tags", stringValue: tag, type: SampleEditType.EDIT_ACCUMULATE, samplesIds: ids, sampleOrigins: origins }),
  );
}

export function untagSamples(ids: string[], origins: string[], tag: string): Promise<true> {
  return checked(
    api.editDataSample({ statName: "tags", stringValue: tag, type: SampleEditType.EDIT_REMOVE, samplesIds: ids, sampleOrigins: origins }),
  );
}

export function setDiscarded(ids: string[], origins: string[], discarded: boolean): Promise<true> {
  return checked(
    api.editDataSample({ statName: "discarded", boolValue: discarded, type: SampleEditType.EDIT_OVERRIDE, samplesIds: ids, sampleOrigins: origins }),
  );
}

/** Resolves true (so callers can tell success from a reported failure) or throws the server's reason. */
async function checked(p: Promise<{ success: boolean; message: string }>): Promise<true> {
  const res = await p;
  if (!res.success) throw new Error(res.message || "the server refused the edit");
  return true;
}
