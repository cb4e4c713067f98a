//! Turns wire `DataRecord`s (named, typed `DataStat`s) into the flat `Sample` the grid draws.

import type { DataRecord, DataStat } from "../gen/experiment_service_pb.js";

export interface Sample {
  id: string;
  origin: string;
  label?: number;
  labelText?: string;
  pred?: number;
  predText?: string;
  loss?: number;
  confidence?: number;
  encounters?: number;
  discarded: boolean;
  tags: string[];
  image?: { bytes: Uint8Array; mime: string; shape: number[] };
  /** Every stat shown in the detail panel, as display text. */
  fields: Map<string, string>;
}

const HIDDEN_AS_TEXT = new Set(["bytes", "image", "tensor", "array", "media", "rle_mask"]);

/** Guesses the image type from its magic bytes, as the server may send PNG, JPEG, WebP, GIF or BMP. */
export function sniffMime(b: Uint8Array): string {
  if (b.length >= 4 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47) return "image/png";
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return "image/jpeg";
  if (b.length >= 4 && b[0] === 0x47 && b[1] === 0x49 && b[2] === 0x46) return "image/gif";
  if (b.length >= 2 && b[0] === 0x42 && b[1] === 0x4d) return "image/bmp";
  return "image/webp";
}

function scalar(stat: DataStat): number | undefined {
  if (stat.value.length > 0) return stat.value[0];
  if (stat.valueString !== "") {
    const n = Number(stat.valueString);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

function truthy(stat: DataStat): boolean {
  if (stat.value.length > 0) return stat.value[0] !== 0;
  const s = stat.valueString.trim().toLowerCase();
  return s === "1" || s === "true" || s === "yes";
}

function display(stat: DataStat): string | undefined {
  if (HIDDEN_AS_TEXT.has(stat.type)) return undefined;
  if (stat.valueString !== "") return stat.valueString;
  if (stat.value.length === 1) return String(Number(stat.value[0].toPrecision(6)));
  if (stat.value.length > 1) {
    const head = stat.value.slice(0, 8).map((v) => Number(v.toPrecision(4)));
    return `[${head.join(", ")}${stat.value.length > 8 ? ", …" : ""}]`;
  }
  return undefined;
}

export function splitTags(s: string): string[] {
  return s
    .split(/[;,]/)
    .map((t) => t.trim())
    .filter((t) => t.length > 0);
}

export function parseRecord(rec: DataRecord): Sample {
  const s: Sample = { id: rec.sampleId, origin: "", discarded: false, tags: [], fields: new Map() };
  const tagSet = new Set<string>();
  for (const stat of rec.dataStats) {
    const name = stat.name;
    switch (name) {
      case "origin":
        s.origin = stat.valueString;
        break;
      case "discarded":
      case "deny_listed":
        if (name === "discarded" || truthy(stat)) s.discarded = truthy(stat);
        break;
      case "raw_data":
        if (stat.thumbnail.length > 0) {
          s.image = { bytes: stat.thumbnail, mime: sniffMime(stat.thumbnail), shape: stat.shape };
        }
        break;
      case "target":
      case "label":
        if (stat.type === "string" && !Number.isFinite(Number(stat.valueString))) s.labelText = stat.valueString;
        else s.label = scalar(stat);
        break;
      case "pred":
      case "prediction":
        if (stat.type === "string" && !Number.isFinite(Number(stat.valueString))) s.predText = stat.valueString;
        else s.pred = scalar(stat);
        break;
      case "loss":
        s.loss = scalar(stat);
        break;
      case "confidence":
        s.confidence = scalar(stat);
        break;
      case "encounters":
        s.encounters = scalar(stat);
        break;
      case "tags":
        for (const t of splitTags(stat.valueString)) tagSet.add(t);
        break;
      default:
        if (name.startsWith("tag:") && truthy(stat)) tagSet.add(name.slice(4));
    }
    const text = display(stat);
    if (text !== undefined && name !== "raw_data") s.fields.set(name, text);
  }
  s.tags = [...tagSet].sort();
  return s;
}
