// A meter of the machine's own stalls, for the browser tests' logs: a worker thread sleeps 1 ms
// at a time and notes each wake-up that came STALL_MS or more late. On a busy or shared machine
// (a VM whose host takes its CPUs away now and then) a long task in the browser can be the
// machine's doing rather than the page's; a stall of the meter at the same moment says so. The
// VM's steal time over the same span comes with it where /proc/stat has it.
import fs from "node:fs";
import { Worker, isMainThread, parentPort, workerData } from "node:worker_threads";

const STALL_MS = 20;

/** Steal time of all CPUs so far in ms, from /proc/stat (Linux), or undefined elsewhere. */
function stealMs() {
  try {
    const cpu = fs.readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/);
    // cpu user nice system idle iowait irq softirq steal, in clock ticks of 10 ms.
    return cpu.length > 8 ? Number(cpu[8]) * 10 : undefined;
  } catch {
    return undefined;
  }
}

/** Starts the meter. `stop()` ends it and gives the stalls as [wall-clock ms, length ms] pairs,
 *  and the steal time in ms since the start (undefined where the system does not report it). */
export function startStallMeter() {
  const stop = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(new URL(import.meta.url), { workerData: { role: "stall-meter", stop: stop.buffer } });
  // A test that fails before stop() must not be kept alive by the meter.
  worker.unref();
  const stalls = new Promise((resolve, reject) => {
    worker.once("message", resolve);
    worker.once("error", reject);
  });
  // A meter that failed says so at stop(), not as an unhandled rejection before it.
  stalls.catch(() => {});
  const stealBefore = stealMs();
  return {
    async stop() {
      worker.ref();
      Atomics.store(stop, 0, 1);
      Atomics.notify(stop, 0);
      const list = await stalls;
      await worker.terminate();
      const stealAfter = stealMs();
      return { stalls: list, stealMs: stealBefore === undefined || stealAfter === undefined ? undefined : stealAfter - stealBefore };
    },
  };
}

if (!isMainThread && workerData?.role === "stall-meter") {
  const stop = new Int32Array(workerData.stop);
  const stalls = [];
  let last = performance.now();
  while (Atomics.load(stop, 0) === 0) {
    Atomics.wait(stop, 0, 0, 1);
    const now = performance.now();
    if (now - last >= STALL_MS) stalls.push([performance.timeOrigin + last, now - last]);
    last = now;
  }
  parentPort.postMessage(stalls);
}
