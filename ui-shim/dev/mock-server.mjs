// Development stand-in for `weightslab serve`: speaks the same gRPC-Web contract from memory
// (10,000 procedural 28×28 samples, a simulated training loop, tags and discards persisted
// to --log-dir) so the Studio and its browser tests can be exercised before or without the
// Rust backend. Not shipped: it is not part of dist/ and the backend never loads it.
import http from "node:http";
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import { fileURLToPath } from "node:url";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import * as pb from "../src/gen/experiment_service_pb.js";

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const port = Number(opt("--port", "50051"));
const logDir = opt("--log-dir", "/tmp/wl-mock");
const token = process.env.GRPC_AUTH_TOKEN || "";
const dist = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "dist");
fs.mkdirSync(logDir, { recursive: true });
const statePath = path.join(logDir, "mock-state.json");

const N = 10000;
const saved = fs.existsSync(statePath) ? JSON.parse(fs.readFileSync(statePath, "utf8")) : { tags: {}, discarded: [] };
const samples = Array.from({ length: N }, (_, i) => ({
  id: String(i),
  origin: i < 8000 ? "train" : "test",
  label: (i * 7) % 10,
  loss: 2.3 * (0.5 + ((i * 2654435761) % 1000) / 1000),
  enc: 0,
  traj: [],
  discarded: saved.discarded.includes(String(i)),
  tags: new Set(saved.tags[String(i)] ?? []),
}));
const persist = () => {
  const tags = {};
  for (const s of samples) if (s.tags.size) tags[s.id] = [...s.tags];
  fs.writeFileSync(statePath, JSON.stringify({ tags, discarded: samples.filter((s) => s.discarded).map((s) => s.id) }));
};

let view = samples.slice();
const hp = { is_training: false, auditor_mode: false, experiment_name: "mock-digits", learning_rate: 0.01, batch_size: 64, training_steps_to_do: 100000, model_age: 0 };
const hash = "a1b2c3d4e5f6";
const log = []; // LoggerDataPoint inits, in arrival order
const cursors = new Map();

function pushPoint(metric, y, extra = {}) {
  log.push({ metricName: metric, modelAge: hp.model_age, metricValue: y, experimentHash: hash, timestamp: BigInt(Math.floor(Date.now() / 1000)), ...extra });
}
setInterval(() => {
  if (!hp.is_training) return;
  hp.model_age += 1;
  const t = hp.model_age;
  const base = 2.3 * Math.exp(-t / 300) + 0.08;
  const noise = (Math.sin(t * 12.9898) * 43758.5453) % 1;
  pushPoint("train/loss", base + 0.05 * noise, { hasValueRange: true, valueMin: base * 0.4, valueMax: base * 1.9 });
  pushPoint("train/accuracy", Math.min(0.99, 1 - base / 2.5));
  for (let k = 0; k < 64; k++) {
    const s = samples[(t * 64 + k) % 8000];
    if (s.discarded || hp.auditor_mode) continue;
    s.loss = Math.max(0.001, s.loss * 0.97);
    s.enc += 1;
    s.traj.push(s.loss);
  }
  if (t % 40 === 0) pushPoint("val/loss", base * 1.1, { isEvaluationMarker: true, splitName: "test" });
}, 100);

// Minimal PNG encoder: 8-bit grayscale, one filter byte per row.
const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
const crc = (buf) => {
  let c = 0xffffffff;
  for (const b of buf) c = crcTable[(c ^ b) & 255] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};
const chunk = (type, data) => {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type), data]);
  const c = Buffer.alloc(4);
  c.writeUInt32BE(crc(td));
  return Buffer.concat([len, td, c]);
};
const pngCache = new Map();
function png(s) {
  let b = pngCache.get(s.id);
  if (b) return b;
  const W = 28;
  const raw = Buffer.alloc((W + 1) * W);
  const ang = (s.label / 10) * Math.PI * 2;
  for (let y = 0; y < W; y++) {
    raw[y * (W + 1)] = 0;
    for (let x = 0; x < W; x++) {
      const dx = x - 14, dy = y - 14;
      const r = Math.hypot(dx, dy);
      const a = Math.atan2(dy, dx);
      const ring = Math.abs(r - 6 - (s.label % 4)) < 2.2 && Math.cos(a - ang) > -0.6 ? 255 : 0;
      const bar = Math.abs(dx * Math.sin(ang) - dy * Math.cos(ang)) < 1.5 && r < 10 ? 220 : 0;
      raw[y * (W + 1) + 1 + x] = Math.max(ring, bar);
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(W, 0);
  ihdr.writeUInt32BE(W, 4);
  ihdr[8] = 8; ihdr[9] = 0; ihdr[10] = 0; ihdr[11] = 0; ihdr[12] = 0;
  b = Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk("IHDR", ihdr), chunk("IDAT", zlib.deflateSync(raw)), chunk("IEND", Buffer.alloc(0))]);
  pngCache.set(s.id, b);
  return b;
}

const pred = (s) => (s.loss < 1 ? s.label : (s.label + 3) % 10);
const col = (s, c) => ({ loss: s.loss, label: s.label, target: s.label, prediction: pred(s), pred: pred(s), encounters: s.enc, index: Number(s.id), sample_id: Number(s.id), origin: s.origin, discarded: s.discarded ? 1 : 0 })[c];
function applyQuery(q, nl) {
  q = q.trim();
  if (q === "") return null;
  if (q === "@reset") { view = samples.slice(); return null; }
  let m = /^sortby\s+`?([\w:]+)`?\s+(asc|desc)/i.exec(q);
  if (m) {
    const [, c, d] = m;
    const k = d.toLowerCase() === "desc" ? -1 : 1;
    view.sort((a, b) => { const x = col(a, c), y = col(b, c); return (x < y ? -1 : x > y ? 1 : 0) * k; });
    return null;
  }
  if (nl) {
    if (/discard/i.test(q)) { view = samples.filter((s) => s.discarded); return "Showing discarded samples."; }
    if (/high|hard|worst/i.test(q)) { view = samples.filter((s) => s.loss > 1.5); return "Showing samples with loss > 1.5."; }
    throw new ConnectError(`Could not understand “${q}”. Try e.g. "loss > 0.5 and label == 3".`, Code.InvalidArgument);
  }
  const preds = q.split(/\s+and\s+/i).map((part) => {
    part = part.trim();
    let t = /^tag:(\S+)$/.exec(part);
    if (t) return (s) => s.tags.has(t[1]);
    if (/^not\s+discarded$/i.test(part)) return (s) => !s.discarded;
    if (/^discarded$/i.test(part)) return (s) => s.discarded;
    t = /^(\w+)\s*(==|!=|>=|<=|>|<)\s*'?([\w.]+)'?$/.exec(part);
    if (!t) throw new ConnectError(`Cannot parse “${part}”: expected e.g. loss > 0.5`, Code.InvalidArgument);
    const [, c, op, vRaw] = t;
    const v = Number.isFinite(Number(vRaw)) ? Number(vRaw) : vRaw;
    return (s) => { const x = col(s, c); return op === "==" ? x == v : op === "!=" ? x != v : op === ">" ? x > v : op === "<" ? x < v : op === ">=" ? x >= v : x <= v; };
  });
  view = view.filter((s) => preds.every((p) => p(s)));
  return null;
}

const counts = (message = "") => {
  const tags = new Set();
  for (const s of samples) for (const t of s.tags) tags.add(t);
  return { success: true, message, numberOfAllSamples: view.length, numberOfSamplesInTheLoop: view.filter((s) => !s.discarded).length, numberOfDiscardedSamples: view.filter((s) => s.discarded).length, uniqueTags: [...tags] };
};
const descs = () => [
  { name: "experiment_name", label: "Experiment Name", type: "text", stringValue: hp.experiment_name },
  { name: "last_hash", label: "Last Hash", type: "text", stringValue: hash },
  { name: "model_age", label: "Model Age", type: "number", numericalValue: hp.model_age },
  { name: "is_training", label: "Is Training", type: "number", numericalValue: hp.is_training ? 1 : 0 },
  { name: "auditor_mode", label: "Auditor Mode", type: "number", numericalValue: hp.auditor_mode ? 1 : 0 },
  { name: "learning_rate", label: "Learning Rate", type: "number", numericalValue: hp.learning_rate },
  { name: "batch_size", label: "Batch Size", type: "number", numericalValue: hp.batch_size },
  { name: "training_steps_to_do", label: "Left Training Steps", type: "number", numericalValue: hp.training_steps_to_do },
];
let evalState = { status: "idle", current: 0, total: 0 };

const service = {
  experimentCommand(req) {
    const h = req.hyperParameterChange?.hyperParameters;
    if (h) {
      if (h.isTraining !== undefined) hp.is_training = h.isTraining;
      if (h.auditorMode !== undefined) hp.auditor_mode = h.auditorMode;
      if (h.learningRate !== undefined) hp.learning_rate = h.learningRate;
      if (h.batchSize !== undefined) hp.batch_size = h.batchSize;
      if (h.experimentName !== undefined) hp.experiment_name = h.experimentName;
      if (h.trainingStepsToDo !== undefined) hp.training_steps_to_do = h.trainingStepsToDo;
    }
    if (req.plotNoteOperation) {
      const n = req.plotNoteOperation;
      const p = log.find((q) => q.metricName === n.metricName && q.modelAge === n.modelAge && !q.isEvaluationMarker);
      if (p) p.pointNote = n.note;
    }
    return { success: true, message: "", hyperParametersDescs: req.getHyperParameters ? descs() : [] };
  },
  getLatestLoggerData(req, ctx) {
    const id = ctx.requestHeader.get("x-wl-client-id") || "anon";
    if (!req.requestFullHistory) {
      const from = cursors.get(id) ?? log.length;
      cursors.set(id, log.length);
      return { points: log.slice(from) };
    }
    cursors.set(id, log.length);
    let pts = log.filter((p) => !req.metricNames.length || req.metricNames.includes(p.metricName));
    if (req.hasXRange) pts = pts.filter((p) => p.modelAge >= Number(req.xMin) && p.modelAge <= Number(req.xMax));
    const budget = req.maxPoints || 1000;
    const byMetric = new Map();
    for (const p of pts) (byMetric.get(p.metricName) ?? byMetric.set(p.metricName, []).get(p.metricName)).push(p);
    const out = [];
    for (const arr of byMetric.values()) {
      const step = Math.max(1, Math.ceil(arr.length / budget));
      arr.forEach((p, i) => (i % step === 0 || p.isEvaluationMarker || p.pointNote) && out.push(p));
    }
    return { points: out, appliedMaxPoints: budget };
  },
  getDataSamples(req) {
    const recs = view.slice(req.startIndex, req.startIndex + req.recordsCnt).map((s) => ({
      sampleId: s.id,
      dataStats: [
        { name: "origin", type: "string", shape: [1], valueString: s.origin },
        { name: "target", type: "scalar", shape: [1], value: [s.label] },
        { name: "pred", type: "scalar", shape: [1], value: [pred(s)] },
        { name: "loss", type: "scalar", shape: [1], value: [s.loss] },
        { name: "encounters", type: "scalar", shape: [1], value: [s.enc] },
        { name: "discarded", type: "scalar", shape: [1], value: [s.discarded ? 1 : 0] },
        { name: "tags", type: "string", shape: [1], valueString: [...s.tags].join(";") },
        ...(req.includeRawData ? [{ name: "raw_data", type: "bytes", shape: [28, 28, 1], thumbnail: png(s) }] : []),
      ],
    }));
    return { success: recs.length > 0, dataRecords: recs, isSubview: view.length !== N, viewCount: BigInt(view.length), totalCount: BigInt(N) };
  },
  getMetaData(req) {
    const s = samples[Number(req.modalSampleId)];
    return { success: true, allMetadataNames: ["encounters"], modalRecord: s ? { sampleId: s.id, dataStats: [{ name: "encounters", type: "string", valueString: String(s.enc) }] } : undefined };
  },
  applyDataQuery(req) {
    const msg = applyQuery(req.query, req.isNaturalLanguage);
    return counts(msg ?? "");
  },
  editDataSample(req) {
    const ids = new Set(req.samplesIds);
    for (const s of samples) {
      if (!ids.has(s.id)) continue;
      if (req.statName === "discarded") s.discarded = req.boolValue;
      else if (req.statName === "tags") req.type === pb.SampleEditType.EDIT_REMOVE ? s.tags.delete(req.stringValue) : s.tags.add(req.stringValue);
    }
    persist();
    return { success: true, message: `edited ${ids.size}` };
  },
  getDataSplits() { return { success: true, splitNames: ["train", "test"] }; },
  getSignalTrajectory(req) {
    return { success: true, signalName: "train/loss", trajectories: req.sampleIds.map((id) => samples[Number(id)]).filter((s) => s && s.traj.length >= 3).map((s) => ({ sampleId: s.id, value: s.traj })) };
  },
  listExperimentRuns() { return { runs: [{ experimentHash: hash, experimentName: hp.experiment_name, created: "2026-01-01 10:00", lastUsed: "now", latestWeightStep: hp.model_age, isCurrent: true }] }; },
  restoreCheckpoint(req) { return { success: true, message: `restored ${req.experimentHash}` }; },
  triggerEvaluation(req) {
    evalState = { status: "requested", current: 0, total: 2000, splitName: req.splitName };
    const t = setInterval(() => {
      if (evalState.status === "canceled") return clearInterval(t);
      evalState.status = "running";
      evalState.current = Math.min(2000, evalState.current + 250);
      if (evalState.current >= 2000) { evalState.status = "done"; clearInterval(t); }
    }, 300);
    return { success: true, message: "queued" };
  },
  getEvaluationStatus() { return evalState; },
  cancelEvaluation() { evalState = { ...evalState, status: "canceled", error: "Canceled by user" }; return { success: true }; },
  checkAgentHealth() { return { available: false }; },
};

const guard = (impl) => Object.fromEntries(Object.entries(impl).map(([k, fn]) => [k, (req, ctx) => {
  if (token && ctx.requestHeader.get("authorization") !== `Bearer ${token}`) throw new ConnectError("missing or wrong token", Code.Unauthenticated);
  return fn(req, ctx);
}]));

const MIME = { ".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml", ".png": "image/png", ".woff2": "font/woff2" };
const handler = connectNodeAdapter({
  grpcWeb: true, grpc: false, connect: false,
  routes: (router) => router.service(pb.ExperimentService, guard(service)),
  fallback(req, res) {
    const url = new URL(req.url, "http://x");
    if (url.pathname === "/healthz") { res.writeHead(200); res.end("ok"); return; }
    let f = path.join(dist, path.normalize(url.pathname));
    if (!f.startsWith(dist) || !fs.existsSync(f) || fs.statSync(f).isDirectory()) f = path.join(dist, "index.html");
    res.writeHead(200, { "content-type": MIME[path.extname(f)] ?? "application/octet-stream" });
    res.end(fs.readFileSync(f));
  },
});
http.createServer(handler).listen(port, "127.0.0.1", () => console.log(`mock weightslab on http://127.0.0.1:${port}/ (log dir ${logDir})`));
