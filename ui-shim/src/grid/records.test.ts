import { test } from "node:test";
import assert from "node:assert/strict";
import { create } from "@bufbuild/protobuf";
import { DataRecordSchema } from "../gen/experiment_service_pb.js";
import { parseRecord, sniffMime, splitTags } from "./records";

const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a]);

test("a full record becomes a sample with image, badges, tags and discard flag", () => {
  const rec = create(DataRecordSchema, {
    sampleId: "42",
    dataStats: [
      { name: "origin", type: "string", valueString: "train" },
      { name: "target", type: "scalar", value: [3] },
      { name: "pred", type: "scalar", value: [5] },
      { name: "loss", type: "scalar", value: [0.75] },
      { name: "discarded", type: "scalar", value: [1] },
      { name: "tags", type: "string", valueString: "hard; blurry,," },
      { name: "tag:odd", type: "string", valueString: "1" },
      { name: "tag:never", type: "scalar", value: [0] },
      { name: "raw_data", type: "bytes", shape: [28, 28, 1], thumbnail: PNG },
    ],
  });
  const s = parseRecord(rec);
  assert.equal(s.id, "42");
  assert.equal(s.origin, "train");
  assert.equal(s.label, 3);
  assert.equal(s.pred, 5);
  assert.equal(s.loss, 0.75);
  assert.equal(s.discarded, true);
  assert.deepEqual(s.tags, ["blurry", "hard", "odd"]);
  assert.equal(s.image?.mime, "image/png");
  assert.deepEqual(s.image?.shape, [28, 28, 1]);
  assert.equal(s.fields.has("raw_data"), false, "image bytes are never shown as text");
  assert.equal(s.fields.get("loss"), "0.75");
});

test("discarded as the string form and label as text are understood", () => {
  const s = parseRecord(
    create(DataRecordSchema, {
      sampleId: "a",
      dataStats: [
        { name: "discarded", type: "string", valueString: "0" },
        { name: "target", type: "string", valueString: "cat" },
        { name: "prediction", type: "string", valueString: "2" },
      ],
    }),
  );
  assert.equal(s.discarded, false);
  assert.equal(s.labelText, "cat");
  assert.equal(s.pred, 2);
});

test("image types are recognised from their magic bytes", () => {
  assert.equal(sniffMime(new Uint8Array([0xff, 0xd8, 0xff, 0xe0])), "image/jpeg");
  assert.equal(sniffMime(new Uint8Array([0x47, 0x49, 0x46, 0x38])), "image/gif");
  assert.equal(sniffMime(new Uint8Array([0x42, 0x4d, 0, 0])), "image/bmp");
  assert.equal(sniffMime(new Uint8Array([0x52, 0x49, 0x46, 0x46])), "image/webp");
});

test("tag lists accept ';' and ',' and drop blanks", () => {
  assert.deepEqual(splitTags(" a;b , ;c"), ["a", "b", "c"]);
  assert.deepEqual(splitTags(""), []);
});
