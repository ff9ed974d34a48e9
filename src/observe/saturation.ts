// Each worker samples its own event-loop utilisation once a second and publishes it with its gauges;
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

/** Start sampling; calls onChange only on transitions (so a saturated hour logs one line). */
export function startSampler(
  counters: WorkerCounters, gauges: GaugeSources, threshold: number, seconds: number, onChange: (c: SaturationChange) => void,
): () => void {
  let last: EventLoopUtilization = performance.eventLoopUtilization();
  let lastRequests = counters.get(F.requests);
  let lastAt = performance.now();
  let over = 0;
  let saturated = false;
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
    over = elu > threshold ? over + 1 : 0;
    if (!saturated && over >= seconds) {
      saturated = true;
      counters.set(F.saturated, 1);
      onChange({ saturated, elu });
    } else if (saturated && elu <= threshold) {
      saturated = false;
      counters.set(F.saturated, 0);
      onChange({ saturated, elu });
    }
  }, SampleMs);
  timer.unref();
  return () => clearInterval(timer);
}
