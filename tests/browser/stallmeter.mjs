// A meter of the machine's own stalls, for the browser tests' logs. On a busy or shared machine
// (a VM whose host takes its CPUs away now and then) a long task in the browser can be the
// machine's doing rather than the page's. A worker thread sleeps 1 ms at a time and notes each
// wake-up that came STALL_MS or more late; every STEAL_EVERY_MS it also reads each CPU's steal
// time (Linux /proc/stat), which catches the host taking away the CPU the page runs on while
// the meter runs on another.
import fs from "node:fs";
import { Worker, isMainThread, parentPort, workerData } from "node:worker_threads";

const STALL_MS = 20;
const STEAL_EVERY_MS = 5;
/** /proc/stat counts in clock ticks of 10 ms. */
const TICK_MS = 10;

/** Each CPU's steal time so far in ms (from the `cpuN` lines of /proc/stat), or [] where the
 *  system does not report it. */
function stealPerCpu() {
  try {
    return fs
      .readFileSync("/proc/stat", "utf8")
      .split("\n")
      .filter((line) => /^cpu\d/.test(line))
      .map((line) => Number(line.trim().split(/\s+/)[8] ?? 0) * TICK_MS);
  } catch {
    return [];
  }
}

/** Starts the meter. `stop()` ends it and gives `stalls`, the meter's late wake-ups, and
 *  `steal`, the steal time the CPUs reported, each as [wall-clock ms, ms] pairs (steal: when it
 *  was seen, and how much since the reading before), and `stealMs`, their sum. */
export function startStallMeter() {
  const stop = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(new URL(import.meta.url), { workerData: { role: "stall-meter", stop: stop.buffer } });
  // Not enough by itself: a process whose meter thread still spins does not exit (a failed
  // test hung `node --test` until killed), so a test that fails before stop() calls abandon().
  worker.unref();
  const result = new Promise((resolve, reject) => {
    worker.once("message", resolve);
    worker.once("error", reject);
  });
  // A meter that failed says so at stop(), not as an unhandled rejection before it.
  result.catch(() => {});
  const halt = () => {
    Atomics.store(stop, 0, 1);
    Atomics.notify(stop, 0);
  };
  return {
    /** Ends the meter without waiting for its numbers (a test that failed midway). */
    async abandon() {
      halt();
      await worker.terminate();
    },
    async stop() {
      worker.ref();
      halt();
      const { stalls, steal } = await result;
      await worker.terminate();
      return { stalls, steal, stealMs: steal.reduce((sum, [, ms]) => sum + ms, 0) };
    },
  };
}

/** How much of [start, start + length] (ms) the meter's stalls covered, and how much steal
 *  time the CPUs reported over it (a reading up to a tick and a sampling period late counts). */
export function machineDuring(meter, start, length) {
  const stalled = meter.stalls.reduce((sum, [s, d]) => sum + Math.max(0, Math.min(start + length, s + d) - Math.max(start, s)), 0);
  const stolen = meter.steal.filter(([t]) => t >= start && t <= start + length + TICK_MS + STEAL_EVERY_MS).reduce((sum, [, ms]) => sum + ms, 0);
  return { stalled: Math.round(stalled), stolen };
}

if (!isMainThread && workerData?.role === "stall-meter") {
  const stop = new Int32Array(workerData.stop);
  const stalls = [];
  const steal = [];
  let before = stealPerCpu();
  let last = performance.now();
  let lastRead = last;
  while (Atomics.load(stop, 0) === 0) {
    Atomics.wait(stop, 0, 0, 1);
    const now = performance.now();
    if (now - last >= STALL_MS) stalls.push([performance.timeOrigin + last, now - last]);
    last = now;
    if (now - lastRead >= STEAL_EVERY_MS) {
      lastRead = now;
      const after = stealPerCpu();
      const stolen = after.reduce((sum, ms, cpu) => sum + Math.max(0, ms - (before[cpu] ?? ms)), 0);
      if (stolen > 0) steal.push([performance.timeOrigin + now, stolen]);
      before = after;
    }
  }
  parentPort.postMessage({ stalls, steal });
}
