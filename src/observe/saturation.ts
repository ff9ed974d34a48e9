// Each worker samples its own event-loop utilisation (and its memory) once a second and publishes it with its gauges;
// sustained utilisation over the threshold means the upstream, not the gateway, limits the benchmark.
import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import { F, type WorkerCounters } from './counters.js';

/** Default saturation threshold (fraction of the event loop busy). */
export const DefaultSaturationElu = 0.85;
/** Default number of consecutive 1 s samples over the threshold before warning. */
export const DefaultSaturationSeconds = 3;
/** Sampling period (ms). */
export const SampleMs = 1000;

/** A change of saturation state, reported to the main thread which logs it once. */
export interface SaturationChange {
  readonly saturated: boolean;
  readonly elu: number;
}

/** Gauges the sampler publishes besides ELU. */
export interface GaugeSources {
  pending(): number;
  streaming(): number;
}

/**
 * Store this worker's V8 heap in use and the process RSS. Inside a worker thread process.memoryUsage()
 * reports the calling isolate's heap (checked on Node 20: a worker sees its own few MB, not the main
 * thread's heap) while rss is the whole process's. Once a second, never on the request path.
 */
function sampleMemory(counters: WorkerCounters): void {
  const memory = process.memoryUsage();
  counters.set(F.heapUsed, memory.heapUsed);
  counters.set(F.rss, memory.rss);
  counters.set(F.memoryAt, Date.now());
}

/**
 * The guard's decision, apart from the sampling so it can be tested: saturated after `seconds` samples in
 * a row over the threshold, recovered only after as many in a row at or under it. The symmetric
 * hysteresis keeps a load hovering around the threshold from logging a warning and a recovery every few
 * seconds.
 */
export class SaturationGuard {
  private over = 0;
  private under = 0;
  private saturated = false;

  constructor(private readonly threshold: number, private readonly seconds: number) {}

  /** Feed one sample; returns the new state when it changed, else null. */
  sample(elu: number): boolean | null {
    if (elu > this.threshold) {
      this.over++;
      this.under = 0;
    } else {
      this.under++;
      this.over = 0;
    }
    if (!this.saturated && this.over >= this.seconds) {
      this.saturated = true;
      return true;
    }
    if (this.saturated && this.under >= this.seconds) {
      this.saturated = false;
      return false;
    }
    return null;
  }
}

/** Start sampling; calls onChange only on transitions (so a saturated hour logs one line). */
export function startSampler(
  counters: WorkerCounters, gauges: GaugeSources, threshold: number, seconds: number, onChange: (c: SaturationChange) => void,
): () => void {
  let last: EventLoopUtilization = performance.eventLoopUtilization();
  let lastRequests = counters.get(F.requests);
  let lastAt = performance.now();
  const guard = new SaturationGuard(threshold, seconds);
  // Memory at once, so /__mock/stats has figures from the moment the worker listens.
  sampleMemory(counters);
  const timer = setInterval(() => {
    const now = performance.eventLoopUtilization();
    const elu = performance.eventLoopUtilization(now, last).utilization;
    last = now;
    const t = performance.now();
    const requests = counters.get(F.requests);
    counters.set(F.rps, ((requests - lastRequests) * 1000) / (t - lastAt));
    lastRequests = requests;
    lastAt = t;
    counters.set(F.elu, elu);
    counters.set(F.pending, gauges.pending());
    counters.set(F.streaming, gauges.streaming());
    sampleMemory(counters);
    const change = guard.sample(elu);
    if (change !== null) {
      counters.set(F.saturated, change ? 1 : 0);
      onChange({ saturated: change, elu });
    }
  }, SampleMs);
  timer.unref();
  return () => clearInterval(timer);
}
