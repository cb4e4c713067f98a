// A meter of the machine's own stalls, for the browser tests' logs. On a busy or shared machine
// (a VM whose host takes its CPUs away now and then) a long task in the browser can be the
// machine's doing rather than the page's. A worker thread sleeps 1 ms at a time and notes each
// wake-up that came STALL_MS or more late; every STEAL_EVERY_MS it also reads each CPU's steal
// time (Linux /proc/stat), which catches the host taking away the CPU the page runs on while
// the meter runs on another. Given the browser's renderer processes, it also reads their main
// threads' scheduler counters (/proc/PID/task/PID/schedstat: time on a CPU, time runnable but
// waiting for one), so a long task says how much of it the page's thread ran and how much it
// waited while other threads had the CPUs.
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

/** A process's main thread's scheduler counters in ns: [on a CPU, runnable but waiting], or
 *  undefined where the kernel does not keep them (or the process is gone). */
function mainThreadSchedstat(pid) {
  try {
    const [ran, waited] = fs.readFileSync(`/proc/${pid}/task/${pid}/schedstat`, "utf8").trim().split(/\s+/).map(Number);
    return Number.isFinite(ran) && Number.isFinite(waited) ? [ran, waited] : undefined;
  } catch {
    return undefined;
  }
}

/** Starts the meter; `pids`: processes whose main thread to follow (the browser's renderers).
 *  `stop()` ends it and gives `stalls`, the meter's late wake-ups, and `steal`, the steal time
 *  the CPUs reported, each as [wall-clock ms, ms] pairs (steal: when it was seen, and how much
 *  since the reading before), `stealMs`, their sum, and `threads`: for each followed pid, its
 *  main thread's readings as [wall-clock ms, ns on a CPU, ns waiting for one]. */
export function startStallMeter(pids = []) {
  const stop = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(new URL(import.meta.url), { workerData: { role: "stall-meter", stop: stop.buffer, pids } });
  // Not enough by itself: a process whose meter thread still spins does not exit (a failed
  // test hung `node --test` until killed), so a test that fails before stop() calls abandon().
  worker.unref();
  // The worker's first message says it is metering (a worker takes tens of ms to start: a span
  // measured before then has no readings); its second brings the numbers.
  let started;
  const ready = new Promise((resolve) => (started = resolve));
  const result = new Promise((resolve, reject) => {
    worker.on("message", (message) => (message.ready ? started() : resolve(message)));
    worker.once("error", reject);
    worker.once("exit", () => started());
  });
  // A meter that failed says so at stop(), not as an unhandled rejection before it.
  result.catch(() => {});
  const halt = () => {
    Atomics.store(stop, 0, 1);
    Atomics.notify(stop, 0);
  };
  return {
    /** Resolves once the meter runs (or has failed: stop() then says why). */
    ready,
    /** Ends the meter without waiting for its numbers (a test that failed midway). */
    async abandon() {
      halt();
      await worker.terminate();
    },
    async stop() {
      worker.ref();
      halt();
      const { stalls, steal, threads } = await result;
      await worker.terminate();
      return { stalls, steal, stealMs: steal.reduce((sum, [, ms]) => sum + ms, 0), threads };
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

/** The followed main thread that ran the most over the whole meter (the page under test, where
 *  the others are a spare renderer and blank pages), or undefined when none could be read. */
export function busiestThread(meter) {
  let best;
  let most = -1;
  for (const [pid, readings] of Object.entries(meter.threads ?? {})) {
    if (readings.length < 2) continue;
    const ran = readings[readings.length - 1][1] - readings[0][1];
    if (ran > most) [best, most] = [pid, ran];
  }
  return best;
}

/** How long the main thread of `pid` ran and how long it waited for a CPU over [start, start +
 *  length] (wall-clock ms), in ms, from the readings nearest its ends (they come every
 *  STEAL_EVERY_MS, so each end may be that much off); undefined without readings there. */
export function threadDuring(meter, pid, start, length) {
  const readings = meter.threads?.[pid] ?? [];
  const before = readings.findLast(([t]) => t <= start);
  const after = readings.find(([t]) => t >= start + length);
  if (!before || !after) return undefined;
  return { ran: Math.round((after[1] - before[1]) / 1e6), waited: Math.round((after[2] - before[2]) / 1e6) };
}

if (!isMainThread && workerData?.role === "stall-meter") {
  const stop = new Int32Array(workerData.stop);
  const stalls = [];
  const steal = [];
  const threads = Object.fromEntries(workerData.pids.map((pid) => [pid, []]));
  const readThreads = (wall) => {
    for (const pid of workerData.pids) {
      const counters = mainThreadSchedstat(pid);
      if (counters) threads[pid].push([wall, ...counters]);
    }
  };
  readThreads(performance.timeOrigin + performance.now());
  parentPort.postMessage({ ready: true });
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
      readThreads(performance.timeOrigin + now);
    }
  }
  readThreads(performance.timeOrigin + performance.now());
  parentPort.postMessage({ stalls, steal, threads });
}
